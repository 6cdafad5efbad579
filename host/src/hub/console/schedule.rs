//! The hook where a practice's last schedule sync will show (with its reasons). The
//! schedule sync is built elsewhere (`schedule/sync`, `hub/schedule`); until its types
//! are in this tree there is nothing to read, so this renders nothing.

use crate::hub::state::Hub;
use crate::hub::store::HubStore;
use crate::jobs::Queue;

/// The "Last schedule sync" section of `practice`'s page: empty until the hub keeps
/// schedule sync results.
pub async fn last_sync<Q: Queue, S: HubStore>(_hub: &Hub<Q, S>, _practice: &str) -> String {
    String::new()
}
