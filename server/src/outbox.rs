//! The outbox ([server-outbox], [server-outbox-file]): every delivered message as one JSON line
//! (how tests read codes, so the code is written unmasked).

use crate::error::BoxError;
use cognito_signup::{HostError, Message};
use serde::Serialize;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct OutboxLine<'a> {
    user_pool_id: &'a str,
    username: &'a str,
    trigger_source: &'a str,
    delivery_medium: &'a str,
    attribute_name: &'a str,
    destination: &'a str,
    code: &'a str,
    message: &'a str,
}

pub(crate) struct Outbox {
    file: Option<Mutex<std::fs::File>>,
}

impl Outbox {
    /// Opens the outbox for appending, creating it readable and writable by its owner only
    /// (it holds live codes and addresses). An existing file open to its group or others is
    /// narrowed to its owner; no permission is ever added.
    pub(crate) fn create(path: Option<&PathBuf>) -> Result<Self, BoxError> {
        let file = match path {
            None => None,
            Some(p) => {
                let error = |e: std::io::Error| format!("--outbox {}: {e}", p.display());
                let mut options = std::fs::OpenOptions::new();
                options.create(true).append(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let file = options.open(p).map_err(error)?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt as _;
                    let mode = file.metadata().map_err(error)?.permissions().mode();
                    if mode & 0o077 != 0 {
                        file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))
                            .map_err(error)?;
                    }
                }
                Some(Mutex::new(file))
            }
        };
        Ok(Self { file })
    }

    pub(crate) fn deliver(&self, m: &Message) -> Result<(), HostError> {
        let Some(file) = &self.file else {
            eprintln!(
                "delivered {} to a user of {} (pass --outbox FILE to read codes)",
                m.trigger_source, m.pool_id
            );
            return Ok(());
        };
        let mut line = serde_json::to_vec(&OutboxLine {
            user_pool_id: &m.pool_id,
            username: &m.username,
            trigger_source: m.trigger_source,
            delivery_medium: m.medium.as_str(),
            attribute_name: m.attribute.name(),
            destination: &m.destination,
            code: m.code.as_str(),
            message: &m.body,
        })?;
        line.push(b'\n');
        let mut file = file.lock().map_err(|_| "outbox lock poisoned")?;
        file.write_all(&line)?;
        file.flush()?;
        Ok(())
    }
}
