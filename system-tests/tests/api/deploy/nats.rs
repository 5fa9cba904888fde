//! NATS in compose, Swarm and Kubernetes: the official image with JetStream
//! stored on a volume, a healthcheck on its monitoring port, and a user per
//! service (the names of [`USERS`]) whose password the server and the service
//! read from the same place, no anonymous access; each user's permissions
//! name the subjects its code uses (`protocol::nats`). ([`super::nats_users`]
//! runs the services as these users.)

use protocol::{Worker, nats::NatsNames};
use serde_norway::Value;

use super::{compose::load_yaml, k8s, rabbitmq::USERS, root};

/// Where the official image reads its configuration.
const CONF: &str = "/etc/nats/nats-server.conf";

/// `project/nats/nats.conf`, shared by compose, Swarm and Kubernetes.
pub(super) fn nats_conf() -> String {
    std::fs::read_to_string(root().join("project/nats/nats.conf")).expect("project/nats/nats.conf")
}

/// The lines of `user`'s entry in the configuration, trimmed.
fn user_entry(conf: &str, user: &str) -> Vec<String> {
    let lines: Vec<&str> = conf.lines().map(str::trim).collect();
    let start = lines
        .iter()
        .position(|l| *l == format!("user: {user}"))
        .unwrap_or_else(|| panic!("nats.conf: no user {user}"));
    let rest = &lines[start + 1..];
    let end = rest.iter().position(|l| l.starts_with("user:"));
    rest[..end.unwrap_or(rest.len())]
        .iter()
        .map(|l| (*l).to_owned())
        .collect()
}

/// The subjects quoted in the entry's line that starts with `what:` and the
/// lines continuing its list.
fn subjects(entry: &[String], what: &str) -> Vec<String> {
    let start = entry
        .iter()
        .position(|l| l.starts_with(&format!("{what}:")))
        .unwrap_or_else(|| panic!("no {what} in {entry:?}"));
    let mut text = String::new();
    for line in &entry[start..] {
        text.push_str(line);
        if line.contains(']') {
            break;
        }
    }
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The password variable of `user`, which the server reads from its environment.
fn password_var(user: &str) -> String {
    format!("NATS_{}_PASSWORD", user.to_uppercase())
}

#[test]
fn each_nats_user_may_use_the_subjects_its_code_uses_and_nobody_is_anonymous() {
    let conf = nats_conf();
    let lines: Vec<&str> = conf.lines().map(str::trim).collect();
    for line in ["port: 4222", "http_port: 8222", "store_dir: /data"] {
        assert!(lines.contains(&line), "nats.conf: no {line}");
    }
    assert!(lines.iter().any(|l| l.starts_with("jetstream {")));
    assert!(
        !conf.contains("no_auth_user"),
        "nats.conf: anonymous access"
    );
    let users = lines.iter().filter(|l| l.starts_with("user:")).count();
    assert_eq!(users, USERS.len(), "nats.conf: one user per service");
    let names = NatsNames::default();
    let (js_api, inbox) = ("$JS.API.>".to_owned(), "_INBOX.>".to_owned());
    for (_, user) in USERS {
        let entry = user_entry(&conf, user);
        let password = format!("password: ${}", password_var(user));
        assert!(entry.contains(&password), "nats.conf {user}: {entry:?}");
        let (publish, subscribe) = (subjects(&entry, "publish"), subjects(&entry, "subscribe"));
        let (mut may_publish, mut may_subscribe) = (vec![inbox.clone()], vec![inbox.clone()]);
        match user {
            "broker" => {
                may_publish = Worker::ALL.map(|w| names.calls.get(w).clone()).to_vec();
                may_publish.extend([names.events.clone(), js_api.clone()]);
            }
            "listener" => {
                may_publish = vec![js_api.clone(), "$JS.ACK.>".into()];
                may_publish.push(names.dead_letters.clone());
            }
            worker => {
                let worker = Worker::ALL.into_iter().find(|w| w.name() == worker);
                let worker = worker.expect("a worker");
                may_subscribe = vec![names.calls.get(worker).clone()];
            }
        }
        assert_eq!(publish, may_publish, "nats.conf {user}: publish");
        assert_eq!(subscribe, may_subscribe, "nats.conf {user}: subscribe");
    }
}

#[test]
fn every_deployment_runs_nats_with_jetstream_on_a_volume_and_a_healthcheck() {
    let health = "http://127.0.0.1:8222/healthz?js-enabled-only=true";
    for (file, conf_source) in [
        ("project/docker-compose.yml", "./nats/nats.conf"),
        ("swarm.yml", "./project/nats/nats.conf"),
    ] {
        let yaml = load_yaml(&root().join(file));
        let nats = &yaml["services"]["nats"];
        let image = nats["image"].as_str().expect("an image");
        assert!(image.starts_with("nats:"), "{file}: {image}");
        let text = serde_norway::to_string(nats).expect("YAML");
        assert!(text.contains("nats-data:/data"), "{file}: no volume");
        assert!(yaml["volumes"].get("nats-data").is_some(), "{file}");
        let test = serde_norway::to_string(&nats["healthcheck"]["test"]).expect("YAML");
        assert!(test.contains(health), "{file}: healthcheck {test}");
        if file == "swarm.yml" {
            assert_eq!(nats["configs"][0]["target"].as_str(), Some(CONF));
            let source = nats["configs"][0]["source"].as_str().expect("a config");
            let path = yaml["configs"][source]["file"].as_str();
            assert_eq!(path, Some(conf_source), "{file}");
        } else {
            let mount = format!("{conf_source}:{CONF}:ro");
            assert!(text.contains(&mount), "{file}: no {mount}");
        }
    }
    let docs = k8s::k8s_documents();
    let nats = docs
        .iter()
        .find(|d| k8s::kind(d) == "StatefulSet" && k8s::name(d) == "nats")
        .expect("k8s: a NATS StatefulSet");
    let spec = &nats["spec"]["template"]["spec"];
    let container = &spec["containers"][0];
    assert!(
        container["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("nats:"))
    );
    let mounts = container["volumeMounts"].as_sequence().expect("mounts");
    let volume_at = |path: &str| {
        let mount = mounts
            .iter()
            .find(|m| m["mountPath"].as_str() == Some(path));
        let name = mount.unwrap_or_else(|| panic!("k8s: nothing at {path}"))["name"].clone();
        let volumes = spec["volumes"].as_sequence().expect("volumes");
        volumes
            .iter()
            .find(|v| v["name"] == name)
            .expect("a volume")
            .clone()
    };
    let claim = &volume_at("/data")["persistentVolumeClaim"]["claimName"];
    assert!(
        docs.iter().any(|d| k8s::kind(d) == "PersistentVolumeClaim"
            && Some(k8s::name(d).as_str()) == claim.as_str()),
        "k8s: NATS's store is not on a claimed volume"
    );
    assert_eq!(
        volume_at(CONF)["configMap"]["name"].as_str(),
        Some("nats-config")
    );
    let generator = load_yaml(&root().join("project/nats/kustomization.yaml"));
    let generated = serde_norway::to_string(&generator["configMapGenerator"]).expect("YAML");
    assert!(generated.contains("nats-config") && generated.contains("nats.conf"));
    let ports = container["ports"].as_sequence().expect("ports");
    let monitor = ports
        .iter()
        .find(|p| p["name"] == "monitor")
        .expect("monitor");
    assert_eq!(monitor["containerPort"].as_u64(), Some(8222));
    for probe in ["readinessProbe", "livenessProbe"] {
        let get = &container[probe]["httpGet"];
        assert_eq!(
            get["path"].as_str(),
            health.split_once("8222").map(|(_, p)| p)
        );
        assert_eq!(get["port"].as_str(), Some("monitor"), "k8s: {probe}");
    }
}

/// The secret a k8s Deployment or StatefulSet's first container reads `var` from.
fn k8s_secret_key(docs: &[Value], kind: &str, name: &str, var: &str) -> Option<String> {
    let d = docs
        .iter()
        .find(|d| k8s::kind(d) == kind && k8s::name(d) == name)?;
    let env = d["spec"]["template"]["spec"]["containers"][0]["env"].as_sequence()?;
    let entry = env.iter().find(|e| e["name"].as_str() == Some(var))?;
    let key = &entry["valueFrom"]["secretKeyRef"];
    (key["name"].as_str() == Some("flexi-secrets"))
        .then(|| key["key"].as_str().map(str::to_owned))?
}

#[test]
fn every_service_connects_to_nats_as_its_own_user_never_anonymously() {
    let compose = load_yaml(&root().join("project/docker-compose.yml"));
    let swarm = load_yaml(&root().join("swarm.yml"));
    let docs = k8s::k8s_documents();
    let swarm_command =
        serde_norway::to_string(&swarm["services"]["nats"]["command"]).expect("YAML");
    let swarm_secrets =
        serde_norway::to_string(&swarm["services"]["nats"]["secrets"]).expect("YAML");
    let scripts = ["compose-env.sh", "swarm-secrets.sh", "k8s-secrets.sh"]
        .map(|s| std::fs::read_to_string(root().join("project/scripts").join(s)).expect(s));
    for (service, user) in USERS {
        let var = password_var(user);
        let from_env = format!("${{{var}:?run make up first}}");
        // Compose: the service and the server read the password from project/.env.
        let env = super::str_map(compose["services"][service].get("environment"));
        assert_eq!(
            env.get("NATS_URL").map(String::as_str),
            Some("nats://nats:4222")
        );
        assert_eq!(
            env.get("NATS_USER").map(String::as_str),
            Some(user),
            "compose {service}"
        );
        assert_eq!(
            env.get("NATS_PASSWORD"),
            Some(&from_env),
            "compose {service}"
        );
        let server = super::str_map(compose["services"]["nats"].get("environment"));
        assert_eq!(
            server.get(&var),
            Some(&from_env),
            "compose: the server's {var}"
        );
        let depends = &compose["services"][service]["depends_on"]["nats"]["condition"];
        assert_eq!(
            depends.as_str(),
            Some("service_healthy"),
            "compose {service}"
        );
        assert!(
            scripts[0].contains(&var),
            "compose-env.sh does not make {var}"
        );
        // Swarm: a secret of the service's own, read by the server too.
        let secret = format!("nats_{user}_password");
        let env = super::str_map(swarm["services"][service].get("environment"));
        assert_eq!(
            env.get("NATS_USER").map(String::as_str),
            Some(user),
            "swarm {service}"
        );
        assert!(
            !env.contains_key("NATS_PASSWORD"),
            "swarm {service}: a password in the file"
        );
        let file = format!("/run/secrets/{secret}");
        assert_eq!(
            env.get("NATS_PASSWORD_FILE"),
            Some(&file),
            "swarm {service}"
        );
        let secrets =
            serde_norway::to_string(&swarm["services"][service]["secrets"]).expect("YAML");
        assert!(secrets.contains(&secret), "swarm {service}: {secrets}");
        assert!(
            swarm_secrets.contains(&secret),
            "swarm: the server lacks {secret}"
        );
        assert!(
            swarm["secrets"].get(&secret).is_some(),
            "swarm: no secret {secret}"
        );
        // Kubernetes: the user in the ConfigMap, the password from flexi-secrets.
        let deployment = docs
            .iter()
            .find(|d| k8s::kind(d) == "Deployment" && k8s::name(d) == service)
            .expect("a Deployment");
        let env = k8s::container_env(&docs, deployment);
        assert_eq!(
            env.get("NATS_USER").map(String::as_str),
            Some(user),
            "k8s {service}"
        );
        let key = format!("nats-{user}-password");
        let read = k8s_secret_key(&docs, "Deployment", service, "NATS_PASSWORD");
        assert_eq!(read.as_ref(), Some(&key), "k8s {service}");
        let served = k8s_secret_key(&docs, "StatefulSet", "nats", &var);
        assert_eq!(served.as_ref(), Some(&key), "k8s: the server's {var}");
    }
    assert!(swarm_command.contains("/run/secrets/nats_") && swarm_command.contains(CONF));
    for (script, name) in [
        (&scripts[1], "nats_${user}_password"),
        (&scripts[2], "nats-$user-password"),
    ] {
        assert!(script.contains(name), "{name}");
        assert!(script.contains("for user in broker logger authentication mail listener"));
    }
}
