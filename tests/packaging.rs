//! The container image's build context holds everything the build needs:
//! no container engine runs on the test machines, so the context is
//! rebuilt here from `.dockerignore` and checked the way the build would
//! use it (Cargo's manifest with every target, the files the sources
//! include, the Dockerfile's `COPY` sources). Where `docker` is installed,
//! the image is built too.

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `.dockerignore`'s patterns (anchored at the context's root).
fn ignored() -> Vec<glob::Pattern> {
    std::fs::read_to_string(Path::new(ROOT).join(".dockerignore"))
        .expect(".dockerignore exists")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| glob::Pattern::new(l.trim_start_matches('/').trim_end_matches('/')).unwrap())
        .collect()
}

fn is_ignored(rel: &Path, patterns: &[glob::Pattern]) -> bool {
    // A pattern excludes a path and everything under it.
    let mut p = PathBuf::new();
    for c in rel.components() {
        p.push(c);
        if patterns.iter().any(|g| g.matches_path(&p)) {
            return true;
        }
    }
    false
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Copies the build context into a new directory.
fn context() -> tempfile::TempDir {
    let patterns = ignored();
    let root = Path::new(ROOT);
    let out = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for e in std::fs::read_dir(root).unwrap().flatten() {
        let rel = PathBuf::from(e.file_name());
        if is_ignored(&rel, &patterns) {
            continue;
        }
        if e.path().is_dir() {
            walk(&e.path(), &mut files);
        } else {
            files.push(e.path());
        }
    }
    for f in files {
        let rel = f.strip_prefix(root).unwrap();
        if is_ignored(rel, &patterns) {
            continue;
        }
        let dst = out.path().join(rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(&f, &dst).unwrap();
    }
    out
}

#[test]
fn the_build_context_holds_what_the_build_needs() {
    let ctx = context();
    let dir = ctx.path();
    assert!(!dir.join("target").exists(), "build output is not context");

    // Cargo reads the manifest and every target it declares, and the lock
    // file (`--locked`).
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
            "--locked",
        ])
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo metadata on the context: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for t in meta["packages"][0]["targets"].as_array().unwrap() {
        let src = t["src_path"].as_str().unwrap();
        assert!(
            Path::new(src).exists(),
            "target source {src} is not in the context"
        );
    }

    // Files the sources include at compile time.
    let mut sources = Vec::new();
    walk(&dir.join("src"), &mut sources);
    let re = regex::Regex::new(r#"include_(?:str|bytes)!\("([^"]+)"\)"#).unwrap();
    let mut included = 0;
    for f in sources
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
    {
        let text = std::fs::read_to_string(f).unwrap();
        for c in re.captures_iter(&text) {
            let p = f.parent().unwrap().join(&c[1]);
            assert!(
                p.exists(),
                "{} includes {}, missing from the context",
                f.display(),
                &c[1]
            );
            included += 1;
        }
    }
    assert!(included > 0);

    // The Dockerfile's own COPY sources (not those from a build stage).
    let dockerfile = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    for line in dockerfile.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("COPY ") else {
            continue;
        };
        if rest.starts_with("--from") {
            continue;
        }
        let parts: Vec<&str> = rest.split_whitespace().collect();
        for src in &parts[..parts.len() - 1] {
            assert!(dir.join(src).exists(), "COPY {src}: not in the context");
        }
    }
    assert!(
        dockerfile.contains("/bin/alertmanager"),
        "the image answers to /bin/alertmanager"
    );
    assert!(
        dockerfile.contains("9094/udp"),
        "the gossip port is exposed"
    );

    match Command::new("docker").arg("version").output() {
        Ok(o) if o.status.success() => {
            let build = Command::new("docker")
                .args(["build", "-t", "tocsin:test", "."])
                .current_dir(ROOT)
                .status()
                .unwrap();
            assert!(build.success(), "docker build");
        }
        _ => eprintln!("SKIPPED the image build: no container engine on this machine"),
    }
}

/// The Kubernetes examples pass Kubernetes' own schemas
/// (`kubernetes-validate --strict`, which `scripts/test` installs), and the
/// kube-prometheus-stack values swap the image and nothing else the
/// operator needs.
#[test]
fn the_kubernetes_examples_are_valid() {
    let dir = Path::new(ROOT).join("examples/kubernetes");
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    manifests.sort();
    assert!(!manifests.is_empty());
    let out = Command::new("kubernetes-validate")
        .arg("--strict")
        .args(&manifests)
        .output()
        .expect("kubernetes-validate runs (scripts/test installs it from PyPI)");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    for kind in [
        "statefulset/",
        "service/",
        "poddisruptionbudget/",
        "configmap/",
    ] {
        assert!(
            text.contains(&format!("passed for resource {kind}")),
            "{kind}: {text}"
        );
    }
    let all: String = manifests
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    for want in [
        "path: /-/healthy",
        "path: /-/ready",
        "replicas: 3",
        "volumeClaimTemplates",
        "clusterIP: None",
    ] {
        assert!(all.contains(want), "{want} missing from the examples");
    }

    let values: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(
            Path::new(ROOT).join("examples/kube-prometheus-stack-values.yaml"),
        )
        .unwrap(),
    )
    .unwrap();
    let image = &values["alertmanager"]["alertmanagerSpec"]["image"];
    assert_eq!(image["repository"], "tocsin/tocsin", "{values}");
}

/// The systemd units pass `systemd-analyze verify` (where systemd's tools
/// are installed; the test says so when they are not).
#[test]
fn the_systemd_units_verify() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED the systemd unit check: no systemd-analyze on this machine");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for unit in ["tocsin.service", "tocsin.socket"] {
        let text = std::fs::read_to_string(Path::new(ROOT).join("examples/systemd").join(unit))
            .unwrap()
            .replace("/usr/bin/tocsin", env!("CARGO_BIN_EXE_tocsin"));
        std::fs::write(dir.path().join(unit), text).unwrap();
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(dir.path().join("tocsin.service"))
        .arg(dir.path().join("tocsin.socket"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // Only problems with the units themselves count (the machine may lack
    // the `prometheus` user or other units).
    let own: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("tocsin.service") || l.contains("tocsin.socket"))
        .filter(|l| !l.contains("User") && !l.contains("network-online"))
        .collect();
    assert!(own.is_empty(), "{err}");
}

/// The image installs no font packages: the chart font is embedded, and the
/// binary links no font library (fontconfig, freetype) that a slim image
/// would lack.
#[test]
fn the_binary_needs_no_font_libraries() {
    let out = std::process::Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_tocsin"))
        .output()
        .expect("ldd runs");
    let libs = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && libs.contains("libc.so"), "{libs}");
    for lib in ["fontconfig", "freetype", "libpng", "harfbuzz"] {
        assert!(!libs.contains(lib), "the binary links {lib}:\n{libs}");
    }
    let dockerfile =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile")).unwrap();
    assert!(
        !dockerfile.contains("fonts-"),
        "no font packages in the image"
    );
}
