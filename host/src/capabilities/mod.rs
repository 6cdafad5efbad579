//! What the host lends to adapters, each a self-contained unit: [`grants`] decides what
//! one adapter may reach (manifest ∩ operator config), [`http`] performs requests with
//! [`credentials`] injected, [`sql`] runs parameterised statements, [`log`] records lines
//! with the adapter and job attached. Guests never see a secret, and [`secrets`] keeps
//! any secret an EHR hands back to them out of what the host stores or shows;
//! [`waiting`] knows whether a call is waiting on the EHR.

pub mod credentials;
pub mod grants;
pub mod http;
pub mod log;
pub mod origin;
pub mod secrets;
pub mod sql;
pub mod waiting;
