//! Swarm's caught mail (MailHog's UI shows every mail sent): no port of its own,
//! only through Caddy, with a password whose hash is a secret.
//! (`crate::caddy` runs the same site and logs in.)

use serde_json::Value;
use tokio::process::Command;

use super::{compose::load_yaml, root};

/// The Caddyfile's routes as Caddy itself reads them (`caddy adapt`), with its
/// defaults for every variable.
async fn caddy_routes() -> Vec<Value> {
    let output = Command::new("caddy")
        .args(["adapt", "--adapter", "caddyfile", "--config", "Caddyfile"])
        .current_dir(root())
        .env_remove("MAILHOG_PASSWORD_HASH")
        .output()
        .await
        .expect("caddy is installed (make -C project test installs it)");
    assert!(output.status.success(), "caddy adapt: {output:?}");
    let config: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let servers = config["apps"]["http"]["servers"]
        .as_object()
        .expect("servers");
    servers
        .values()
        .flat_map(|server| server["routes"].as_array().cloned().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn swarm_publishes_no_mailhog_port_and_caddy_asks_its_password() {
    let swarm = load_yaml(&root().join("swarm.yml"));
    let mailhog = &swarm["services"]["mailhog"];
    assert!(
        mailhog.get("ports").is_none(),
        "MailHog publishes {mailhog:?}"
    );
    let caddy = &swarm["services"]["caddy"];
    let caddy_text = serde_norway::to_string(caddy).expect("YAML");
    assert!(caddy_text.contains("mailhog_password_hash"), "{caddy_text}");

    let route = caddy_routes()
        .await
        .into_iter()
        .find(|route| route.to_string().contains("mailhog:8025"))
        .expect("a site in front of MailHog's UI");
    let handlers = route.to_string();
    let auth = handlers
        .find("\"http_basic\"")
        .expect("basic auth for MailHog");
    let proxy = handlers.find("mailhog:8025").expect("the proxy");
    assert!(
        auth < proxy,
        "the password is asked before the proxy: {handlers}"
    );
    // Without the secret's hash, nobody can match the placeholder.
    assert!(handlers.contains("\"password\":\"$unset\""), "{handlers}");
}
