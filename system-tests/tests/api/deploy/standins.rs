//! The compose check's stand-ins (`project/standins/`, docs/deploy.md):
//! the override only swaps images, each stand-in is named as one and built from
//! the project's Debian base, and every infrastructure image of
//! docker-compose.yml has a stand-in or is left out by name.

use serde_norway::Value;

use super::{compose::load_yaml, root};

/// The base every stand-in is built FROM (containers.sh makes it).
const BASE: &str = "FROM docker.io/library/debian:bookworm-slim";

#[test]
fn every_infrastructure_image_has_a_stand_in_or_is_left_out_by_name() {
    let dir = root().join("project/standins");
    let standins = load_yaml(&dir.join("docker-compose.standins.yml"));
    let compose = load_yaml(&root().join("project/docker-compose.yml"));
    let services = compose["services"].as_mapping().expect("services");
    let left_out: Vec<&str> = standins["x-left-out"]
        .as_sequence()
        .expect("x-left-out")
        .iter()
        .map(|name| name.as_str().expect("a name"))
        .collect();

    let swapped = standins["services"].as_mapping().expect("services");
    for (name, service) in swapped {
        let name = name.as_str().expect("a name");
        assert!(
            services.contains_key(name),
            "{name}: not a service of docker-compose.yml"
        );
        let keys: Vec<_> = service.as_mapping().expect("a mapping").keys().collect();
        assert_eq!(
            keys,
            [&Value::from("image")],
            "{name}: only image: is swapped"
        );
        let image = service["image"].as_str().expect("an image");
        assert!(
            image.starts_with("flexiconnect-standin/"),
            "{name}: {image} is not named as a stand-in"
        );
        let containerfile = dir.join(name).join("Containerfile");
        let text = std::fs::read_to_string(&containerfile)
            .unwrap_or_else(|e| panic!("{}: {e}", containerfile.display()));
        assert!(
            text.lines().any(|line| line == BASE),
            "{name}: not built {BASE}"
        );
    }

    for (name, service) in services {
        let name = name.as_str().expect("a name");
        let image = service["image"].as_str().expect("an image");
        let ours = image.starts_with("flexiconnect/");
        let covered = swapped.contains_key(name) || left_out.contains(&name);
        assert!(
            ours || covered,
            "{name} ({image}): add a stand-in in project/standins/ or name it in x-left-out"
        );
        assert!(
            !(swapped.contains_key(name) && left_out.contains(&name)),
            "{name}: both a stand-in and left out"
        );
    }
}
