//! A practice's agents as the console shows them: state (in the hub's words, with the
//! reason), last heartbeat, version, and each adapter with its version and its EHR's
//! connectivity. Everything an agent reported is untrusted text.

use super::html::{ago, esc, untrusted};
use crate::link::protocol::EhrConnectivity;
use crate::status::hub::AgentView;

/// The agents table, or a line saying there are none.
pub fn table(agents: &[AgentView], now_ms: u64) -> String {
    if agents.is_empty() {
        return "<p class=\"muted\">No agent is paired with this practice yet \
                (<code>ehr-host hub pair-code --practice …</code>).</p>"
            .into();
    }
    let mut rows = String::new();
    for a in agents {
        let state = serde_json::to_value(a.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr class=\"agent\"><td>{}<br><code class=\"muted\">{}</code></td>\
             <td><span class=\"state {}\">{}</span><br><span class=\"muted\">{}</span></td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            untrusted(&a.name, 120),
            esc(&a.id),
            esc(&state),
            esc(a.state.words()),
            untrusted(&a.reason, 300),
            esc(&ago(a.last_heartbeat_ms, now_ms)),
            untrusted(&a.version, 40),
            adapters(a),
        ));
    }
    format!(
        "<div class=\"table-wrap\"><table class=\"agents\"><thead><tr><th>Agent</th><th>State</th>\
         <th>Last heartbeat</th><th>Version</th><th>Adapters</th></tr></thead>\
         <tbody>{rows}</tbody></table></div>"
    )
}

/// Each adapter with its version and whether its EHR answered its last check.
fn adapters(a: &AgentView) -> String {
    if a.adapters.is_empty() {
        return "<span class=\"muted\">none reported</span>".into();
    }
    let items: Vec<String> = a
        .adapters
        .iter()
        .map(|h| {
            let ehr = match &h.ehr {
                EhrConnectivity::Connected { .. } => "EHR connected".to_string(),
                EhrConnectivity::Unreachable { title, .. } => {
                    format!("EHR: {}", untrusted(title, 160))
                }
                EhrConnectivity::Unknown => "EHR not checked yet".to_string(),
            };
            format!(
                "<li>{} {} <span class=\"muted\">({ehr})</span></li>",
                untrusted(&h.id, 64),
                untrusted(&h.version, 40)
            )
        })
        .collect();
    format!("<ul class=\"adapters\">{}</ul>", items.join(""))
}
