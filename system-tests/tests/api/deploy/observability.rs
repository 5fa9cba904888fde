//! Prometheus and Jaeger in compose, Swarm and Kubernetes: every Rust service
//! sends its spans to Jaeger's OTLP/HTTP receiver, Jaeger's UI is on its port,
//! and Prometheus reads the one scrape configuration
//! (`project/observability/prometheus.yml`), which scrapes every service's HTTP
//! port (where `/metrics` is) under the name the deployment gives the service.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use serde_norway::Value;

use super::{
    Spec,
    compose::{load_yaml, with_defaults},
    host_port,
    k8s::{container_env, k8s_documents, kind, load_documents, name},
    root, specs, str_map,
};

/// Jaeger's OTLP/HTTP receiver, where every service sends its spans.
const OTLP_HTTP: u16 = 4318;
/// Jaeger's UI.
const JAEGER_UI: u16 = 16686;
/// Prometheus's UI and API.
const PROMETHEUS: u16 = 9090;
/// Where Prometheus reads its configuration in its image.
const PROMETHEUS_CONFIG: &str = "/etc/prometheus/prometheus.yml";

/// The shared scrape configuration.
fn shared_config() -> PathBuf {
    root()
        .join("project/observability/prometheus.yml")
        .canonicalize()
        .expect("project/observability/prometheus.yml")
}

/// The jobs of a scrape configuration, with their targets.
fn scrape_jobs(path: &Path) -> BTreeMap<String, Vec<String>> {
    let config = load_yaml(path);
    let jobs = config["scrape_configs"]
        .as_sequence()
        .expect("scrape_configs");
    jobs.iter()
        .map(|job| {
            let name = job["job_name"].as_str().expect("job_name").to_owned();
            let path = job.get("metrics_path").and_then(Value::as_str);
            assert!(path.is_none_or(|p| p == "/metrics"), "{name}: {path:?}");
            let targets = job["static_configs"].as_sequence().expect("static_configs");
            let targets = targets
                .iter()
                .flat_map(|c| c["targets"].as_sequence().expect("targets"))
                .map(|t| t.as_str().expect("a target").to_owned())
                .collect();
            (name, targets)
        })
        .collect()
}

/// Asserts that `jobs` are one per service, named as its binary, whose one
/// target is `address(service)`: the name and port of its HTTP API there.
fn assert_scrapes_every_service(
    file: &str,
    jobs: &BTreeMap<String, Vec<String>>,
    address: impl Fn(&Spec) -> String,
) {
    let expected: BTreeMap<String, Vec<String>> = specs()
        .iter()
        .map(|s| (s.target.to_owned(), vec![address(s)]))
        .collect();
    assert_eq!(jobs, &expected, "{file}: scrape jobs vs the services");
}

/// Asserts that a service sends its spans to `jaeger`'s OTLP/HTTP receiver.
fn assert_exports_to(file: &str, service: &str, env: &BTreeMap<String, String>, jaeger: &str) {
    let endpoint = env
        .get("OTEL_EXPORTER_OTLP_ENDPOINT")
        .unwrap_or_else(|| panic!("{file}: {service} sets no OTEL_EXPORTER_OTLP_ENDPOINT"));
    assert!(
        endpoint.starts_with("http://")
            && host_port(endpoint) == Some((jaeger.to_owned(), OTLP_HTTP)),
        "{file}: {service}.OTEL_EXPORTER_OTLP_ENDPOINT = {endpoint}, not http://{jaeger}:{OTLP_HTTP}"
    );
}

/// The file a compose or swarm service sees at `target`: a bind mount, or a
/// swarm config.
fn mounted_file(file: &Value, service: &Value, dir: &Path, target: &str) -> PathBuf {
    for volume in service["volumes"].as_sequence().into_iter().flatten() {
        let mut parts = volume.as_str().unwrap_or_default().split(':');
        if let (Some(source), Some(to)) = (parts.next(), parts.next())
            && to == target
        {
            return dir.join(source);
        }
    }
    for config in service["configs"].as_sequence().into_iter().flatten() {
        if config["target"].as_str() == Some(target) {
            let source = config["source"].as_str().expect("a config's source");
            let path = file["configs"][source]["file"].as_str().expect("a file");
            return dir.join(path);
        }
    }
    panic!("nothing is mounted at {target}");
}

/// `host:container` ports a compose or swarm service publishes, each host port
/// as it is when its variable is unset.
pub(super) fn published(service: &Value) -> Vec<String> {
    let ports = service["ports"].as_sequence().into_iter().flatten();
    ports
        .filter_map(|p| p.as_str().map(with_defaults))
        .collect()
}

/// A service's image, without its tag.
fn image(service: &Value) -> &str {
    let image = service["image"].as_str().expect("an image");
    image.split(':').next().unwrap_or(image)
}

#[test]
fn compose_and_swarm_run_prometheus_and_jaeger_for_every_service() {
    for file in ["project/docker-compose.yml", "swarm.yml"] {
        let path = root().join(file);
        let doc = load_yaml(&path);
        let service = |name: &str| {
            doc["services"]
                .get(name)
                .unwrap_or_else(|| panic!("{file}: no service {name}"))
        };
        let env = |spec: &Spec| str_map(service(spec.name).get("environment"));

        let jaeger = service("jaeger");
        assert_eq!(image(jaeger), "jaegertracing/jaeger", "{file}: Jaeger v2");
        let ui = format!("{JAEGER_UI}:{JAEGER_UI}");
        assert!(published(jaeger).contains(&ui), "{file}: Jaeger's UI");
        let exposed = jaeger["expose"].as_sequence().expect("jaeger's expose");
        let otlp = Value::String(OTLP_HTTP.to_string());
        assert!(
            exposed.contains(&otlp),
            "{file}: jaeger exposes {OTLP_HTTP}"
        );
        for spec in specs() {
            assert_exports_to(file, spec.name, &env(&spec), "jaeger");
        }

        let prometheus = service("prometheus");
        assert_eq!(image(prometheus), "prom/prometheus", "{file}");
        let ui = format!("{PROMETHEUS}:{PROMETHEUS}");
        assert!(published(prometheus).contains(&ui), "{file}: Prometheus");
        let dir = path.parent().expect("a folder");
        let config = mounted_file(&doc, prometheus, dir, PROMETHEUS_CONFIG);
        assert_eq!(config.canonicalize().ok(), Some(shared_config()), "{file}");
        assert_scrapes_every_service(file, &scrape_jobs(&config), |spec| {
            let http = env(spec).get("HTTP_ADDR").and_then(|a| host_port(a));
            let (_, port) = http.unwrap_or_else(|| panic!("{file}: {} HTTP_ADDR", spec.name));
            format!("{}:{port}", spec.name)
        });
    }
}

/// The file of the ConfigMap `config_map` that a folder in
/// `project/k8s/kustomization.yaml`'s resources generates, with its key.
fn generated_config_file(config_map: &str) -> (String, PathBuf) {
    let dir = root().join("project/k8s");
    let kustomization = &load_documents(&dir.join("kustomization.yaml"))[0];
    let resources = kustomization["resources"].as_sequence().expect("resources");
    for folder in resources
        .iter()
        .map(|r| dir.join(r.as_str().expect("a path")))
    {
        if !folder.is_dir() {
            continue;
        }
        let generated = &load_documents(&folder.join("kustomization.yaml"))[0];
        let generators = generated["configMapGenerator"].as_sequence();
        for generator in generators.into_iter().flatten() {
            if generator["name"].as_str() == Some(config_map) {
                let file = generator["files"][0].as_str().expect("a file");
                let (key, path) = file.split_once('=').unwrap_or((file, file));
                return (key.to_owned(), folder.join(path));
            }
        }
    }
    panic!("k8s: no ConfigMap {config_map} is generated");
}

/// The container port a Service's `port` reaches in a Deployment.
fn target_port(service: &Value, deployment: &Value, port: u16) -> Option<u64> {
    let ports = service["spec"]["ports"].as_sequence()?;
    let entry = ports
        .iter()
        .find(|p| p["port"].as_u64() == Some(port.into()))?;
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let declared = container["ports"].as_sequence()?;
    let target = &entry["targetPort"];
    let declared = declared.iter().find(|p| match target.as_str() {
        Some(name) => p["name"].as_str() == Some(name),
        None => p["containerPort"] == *target,
    })?;
    declared["containerPort"].as_u64()
}

#[test]
fn k8s_runs_prometheus_and_jaeger_for_every_service() {
    let docs = k8s_documents();
    let find = |k: &str, n: &str| {
        docs.iter()
            .find(|d| kind(d) == k && name(d) == n)
            .unwrap_or_else(|| panic!("k8s: no {k} {n}"))
    };
    let container = |d: &Value| d["spec"]["template"]["spec"]["containers"][0].clone();

    let jaeger = find("Deployment", "jaeger");
    assert_eq!(image(&container(jaeger)), "jaegertracing/jaeger");
    for port in [OTLP_HTTP, JAEGER_UI] {
        let reached = target_port(find("Service", "jaeger"), jaeger, port);
        assert_eq!(reached, Some(port.into()), "k8s: Service jaeger :{port}");
    }
    for spec in specs() {
        let env = container_env(&docs, find("Deployment", spec.name));
        assert_exports_to("k8s", spec.name, &env, "jaeger");
    }

    let prometheus = find("Deployment", "prometheus");
    let reached = target_port(find("Service", "prometheus"), prometheus, PROMETHEUS);
    assert_eq!(reached, Some(PROMETHEUS.into()), "k8s: Service prometheus");
    let prometheus = container(prometheus);
    assert_eq!(image(&prometheus), "prom/prometheus");
    let (dir, file) = PROMETHEUS_CONFIG.rsplit_once('/').expect("a path");
    let mount = prometheus["volumeMounts"]
        .as_sequence()
        .expect("volumeMounts");
    let mount = mount.iter().find(|m| m["mountPath"].as_str() == Some(dir));
    let volume = mount.expect("a volume at /etc/prometheus")["name"].clone();
    let volumes = find("Deployment", "prometheus")["spec"]["template"]["spec"]["volumes"].clone();
    let volume = volumes
        .as_sequence()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == volume);
    let config_map = volume.expect("the volume")["configMap"]["name"]
        .as_str()
        .expect("a ConfigMap");
    let (key, path) = generated_config_file(config_map);
    assert_eq!(key, file, "k8s: the key of {config_map}");
    assert_eq!(path.canonicalize().ok(), Some(shared_config()), "k8s");
    assert_scrapes_every_service("k8s", &scrape_jobs(&path), |spec| {
        let service = find("Service", spec.name);
        let ports = service["spec"]["ports"].as_sequence().expect("ports");
        let http = ports
            .iter()
            .find(|p| p["targetPort"].as_str() == Some("http"));
        let port = http.and_then(|p| p["port"].as_u64());
        format!("{}:{}", spec.name, port.expect("an http port"))
    });
}
