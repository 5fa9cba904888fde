//! The Kubernetes manifests: the same settings and addresses as compose, the
//! declared container ports, probes on the served health paths, and Services
//! that select something.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

use serde::Deserialize;
use serde_norway::Value;

use super::{check_environments, dockerfile_health, listening_ports, root, specs, str_map};

/// Every YAML document of a file.
pub(super) fn load_documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// Every document of the files `project/k8s/kustomization.yaml` lists (a listed
/// folder is another kustomization, read by the tests that need it).
pub(super) fn k8s_documents() -> Vec<Value> {
    let dir = root().join("project/k8s");
    let kustomization = &load_documents(&dir.join("kustomization.yaml"))[0];
    kustomization["resources"]
        .as_sequence()
        .expect("resources")
        .iter()
        .map(|r| dir.join(r.as_str().expect("a path")))
        .filter(|path| path.is_file())
        .flat_map(|path| load_documents(&path))
        .collect()
}

/// A document's `kind`.
pub(super) fn kind(d: &Value) -> String {
    d.get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A document's `metadata.name`.
pub(super) fn name(d: &Value) -> String {
    d["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The environment of a Deployment's first container: its ConfigMap's data, and
/// its `env` entries (secrets, shown as `<secret>`).
pub(super) fn container_env(docs: &[Value], deployment: &Value) -> BTreeMap<String, String> {
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let config = container["envFrom"][0]["configMapRef"]["name"]
        .as_str()
        .expect("a ConfigMap");
    let mut env = docs
        .iter()
        .find(|d| kind(d) == "ConfigMap" && name(d) == config)
        .map(|d| str_map(d.get("data")))
        .unwrap_or_else(|| panic!("no ConfigMap {config}"));
    for var in container["env"].as_sequence().into_iter().flatten() {
        env.insert(
            var["name"].as_str().expect("name").to_owned(),
            "<secret>".into(),
        );
    }
    env
}

#[test]
fn the_k8s_manifests_match_the_services() {
    let docs = k8s_documents();
    let mut envs = BTreeMap::new();
    let health = dockerfile_health();
    for d in docs
        .iter()
        .filter(|d| kind(d) == "Deployment" && specs().iter().any(|s| s.name == name(d)))
    {
        let container = &d["spec"]["template"]["spec"]["containers"][0];
        let env = container_env(&docs, d);
        // containerPorts are the ports the settings make it listen on.
        let declared: BTreeSet<u16> = container["ports"]
            .as_sequence()
            .expect("ports")
            .iter()
            .map(|p| p["containerPort"].as_u64().expect("port") as u16)
            .collect();
        assert_eq!(
            declared,
            listening_ports(&env),
            "{}: containerPorts vs *_ADDR",
            name(d)
        );
        // Probes hit the HTTP port, on the paths the image's HEALTHCHECK uses or /ping.
        let spec = specs()
            .into_iter()
            .find(|s| s.name == name(d))
            .expect("a spec");
        let (_, image_health) = &health[spec.target];
        for probe in ["readinessProbe", "livenessProbe"] {
            let path = container[probe]["httpGet"]["path"]
                .as_str()
                .expect("an HTTP probe");
            assert!(
                path == image_health || path == "/ping",
                "{}: {probe} {path}",
                name(d)
            );
            assert_eq!(container[probe]["httpGet"]["port"].as_str(), Some("http"));
        }
        envs.insert(name(d), env);
    }
    check_environments("k8s", &envs);
    // Every Service selects a Deployment and targets one of its named ports.
    for svc in docs.iter().filter(|d| kind(d) == "Service") {
        let app = svc["spec"]["selector"]["app"].as_str().expect("selector");
        assert!(
            docs.iter().any(
                |d| ["Deployment", "StatefulSet"].contains(&kind(d).as_str()) && name(d) == app
            ),
            "Service {} selects nothing",
            name(svc)
        );
    }
}
