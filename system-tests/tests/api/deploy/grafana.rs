//! Compose's Grafana: its datasource is compose's Prometheus, its dashboard
//! provider reads the folder compose mounts, and the one dashboard queries only
//! metrics the services export (their names are the constants the services
//! record under): per transport, the request rate, errors and p50/p90/p99
//! latency at the broker, and the workers' calls by worker and transport.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
};

use serde_json::Value as Json;

use super::{compose::load_yaml, host_port, observability::published, promql::metric_names, root};

/// Every metric name the services export, histograms with their three series.
fn exported() -> BTreeSet<String> {
    let histograms = [
        broker::routes::REQUEST_DURATION,
        runtime::metrics::WORKER_CALL_DURATION,
        logger::store::BATCH_SIZE,
        logger::store::INSERT_DURATION,
    ];
    let others = [
        broker::routes::REQUESTS,
        broker::dispatch::CALLS_IN_FLIGHT,
        clients::breaker::CIRCUIT_OPEN,
        clients::amqp::PUBLISHES,
        runtime::metrics::WORKER_CALLS,
        listener::events::EVENTS,
        authentication::password::BCRYPT_WAITING,
    ];
    let series = |h: &str| ["_bucket", "_sum", "_count"].map(|s| format!("{h}{s}"));
    let histograms = histograms.into_iter().flat_map(series);
    histograms.chain(others.map(str::to_owned)).collect()
}

/// What compose mounts into a service: target → the source in the repository.
fn mounts(service: &serde_norway::Value) -> BTreeMap<String, PathBuf> {
    let dir = root().join("project");
    let volumes = service["volumes"].as_sequence().into_iter().flatten();
    volumes
        .filter_map(|v| {
            let mut parts = v.as_str()?.split(':');
            let (source, target) = (parts.next()?, parts.next()?);
            source
                .starts_with('.')
                .then(|| (target.to_owned(), dir.join(source)))
        })
        .collect()
}

#[test]
fn grafana_in_compose_shows_every_transport_from_exported_metrics() {
    let compose = load_yaml(&root().join("project/docker-compose.yml"));
    let grafana = &compose["services"]["grafana"];
    assert_eq!(
        grafana["image"].as_str().map(|i| i.split(':').next()),
        Some(Some("grafana/grafana"))
    );
    assert!(
        published(grafana).iter().any(|p| p == "3000:3000"),
        "Grafana on :3000"
    );
    let mounted = mounts(grafana);
    let provisioning = &mounted["/etc/grafana/provisioning"];

    // The datasource: compose's Prometheus.
    let datasources = load_yaml(&provisioning.join("datasources/prometheus.yml"));
    let datasource = &datasources["datasources"][0];
    assert_eq!(datasource["type"].as_str(), Some("prometheus"));
    let url = datasource["url"].as_str().expect("a URL");
    let (host, port) = host_port(url).expect("host and port");
    let prometheus = &compose["services"][host.as_str()];
    assert!(
        prometheus["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("prom/prometheus:")),
        "{url}"
    );
    assert_eq!(port, 9090, "{url}");
    let uid = datasource["uid"].as_str().expect("a uid");

    // The dashboard: the one file in the folder the provider reads, also the home page.
    let providers = load_yaml(&provisioning.join("dashboards/flexiconnect.yml"));
    let path = providers["providers"][0]["options"]["path"]
        .as_str()
        .expect("a path");
    let folder = mounted
        .get(path)
        .unwrap_or_else(|| panic!("nothing mounted at {path}"));
    let files: Vec<PathBuf> = std::fs::read_dir(folder)
        .expect("the dashboards' folder")
        .map(|e| e.expect("an entry").path())
        .collect();
    assert_eq!(files.len(), 1, "one dashboard: {files:?}");
    let home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"].as_str();
    let name = files[0]
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a name");
    assert_eq!(
        home,
        Some(format!("{path}/{name}").as_str()),
        "the home dashboard"
    );
    let text = std::fs::read_to_string(&files[0]).expect("the dashboard");
    let dashboard: Json = serde_json::from_str(&text).expect("the dashboard is JSON");

    // Every query names metrics the services export, from the provisioned datasource.
    let exported = exported();
    let mut exprs = Vec::new();
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(!panels.is_empty(), "panels");
    for panel in panels {
        let title = panel["title"].as_str().expect("a title");
        assert_eq!(panel["datasource"]["uid"].as_str(), Some(uid), "{title}");
        let targets = panel["targets"].as_array().filter(|t| !t.is_empty());
        for target in targets.unwrap_or_else(|| panic!("{title}: no query")) {
            let expr = target["expr"].as_str().expect("a PromQL query");
            let names = metric_names(expr);
            assert!(!names.is_empty(), "{title}: {expr} reads no metric");
            for name in names {
                assert!(exported.contains(&name), "{title}: {name} is not exported");
            }
            exprs.push(expr.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    for variable in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let query = variable["definition"].as_str().expect("a definition");
        let metric = query
            .strip_prefix("label_values(")
            .and_then(|q| q.split(',').next());
        let metric = metric.unwrap_or_else(|| panic!("{query}: label_values(metric, label)"));
        assert!(exported.contains(metric.trim()), "{query}: not exported");
    }

    // What it must show, per transport.
    let requests = broker::routes::REQUESTS;
    let duration = format!("{}_bucket", broker::routes::REQUEST_DURATION);
    let workers = runtime::metrics::WORKER_CALLS;
    let shows = |what: &str, found: &dyn Fn(&str) -> bool| {
        assert!(
            exprs.iter().any(|e| found(e)),
            "no panel shows {what}: {exprs:#?}"
        );
    };
    shows("requests by transport", &|e| {
        e.contains(requests) && e.contains("by (transport)")
    });
    shows("errors by transport", &|e| {
        e.contains(requests) && e.contains("by (transport") && e.contains(r#"outcome!="ok""#)
    });
    for q in ["0.5", "0.9", "0.99"] {
        shows(&format!("p{} by transport", &q[2..]), &|e| {
            e.starts_with(&format!("histogram_quantile({q}, "))
                && e.contains(&duration)
                && e.contains("by (transport, le)")
        });
    }
    shows("worker calls by worker and transport", &|e| {
        e.contains(workers) && e.contains("by (worker, transport)")
    });
}
