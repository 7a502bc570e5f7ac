//! `alertmanager_build_info` and `alertmanager_cluster_enabled`.
//!
//! `build_info` is a gauge with value 1, as client_golang's version collector
//! registers it, not an OpenMetrics `info` metric: Prometheus's classic text
//! parser rejects `# TYPE … info`, and queries expect the `_info` name
//! unchanged.

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use super::registry::MetricRegistry;

/// The labels of `alertmanager_build_info`, named as Go names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    pub version: String,
    pub revision: String,
    pub branch: String,
    /// The toolchain; for Tocsin `rust<rust-version>`.
    pub goversion: String,
    pub goos: String,
    /// The architecture in Go's naming (`amd64`, `arm64`, …) so dashboards
    /// filtering on it keep working.
    pub goarch: String,
    /// Build tags; Go reports `unknown` when there were none.
    pub tags: String,
}

impl BuildInfo {
    /// Tocsin's own build: the crate version, the `rust-version` it is built
    /// with, and the target platform. Revision and branch come from the
    /// `TOCSIN_REVISION` / `TOCSIN_BRANCH` environment variables at compile
    /// time when set; otherwise `unknown` and empty, like an Alertmanager
    /// built without `-ldflags`.
    pub fn tocsin() -> BuildInfo {
        BuildInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            revision: option_env!("TOCSIN_REVISION")
                .unwrap_or("unknown")
                .to_string(),
            branch: option_env!("TOCSIN_BRANCH").unwrap_or("").to_string(),
            goversion: format!("rust{}", env!("CARGO_PKG_RUST_VERSION")),
            goos: std::env::consts::OS.to_string(),
            goarch: go_arch(std::env::consts::ARCH).to_string(),
            tags: "unknown".to_string(),
        }
    }
}

/// Go's `GOARCH` for a Rust target architecture.
pub fn go_arch(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// Handles for the build and cluster-state gauges.
#[derive(Debug, Clone)]
pub struct BuildMetrics {
    /// `alertmanager_cluster_enabled`: 1 when HA gossip is on.
    pub cluster_enabled: Gauge,
}

impl BuildMetrics {
    /// Registers `alertmanager_build_info` (constant 1) and
    /// `alertmanager_cluster_enabled` (0 until clustering exists).
    pub fn register(reg: &MetricRegistry, info: &BuildInfo) -> BuildMetrics {
        let labels: Vec<(&'static str, String)> = vec![
            ("branch", info.branch.clone()),
            ("goarch", info.goarch.clone()),
            ("goos", info.goos.clone()),
            ("goversion", info.goversion.clone()),
            ("revision", info.revision.clone()),
            ("tags", info.tags.clone()),
            ("version", info.version.clone()),
        ];
        let family = reg.register(
            "alertmanager_build_info",
            "A metric with a constant '1' value labeled by version, revision, branch, goversion from which alertmanager was built, and the goos and goarch for the build.",
            Family::<Vec<(&'static str, String)>, Gauge>::default(),
        );
        let build = family.get_or_create_owned(&labels);
        build.set(1);
        BuildMetrics {
            cluster_enabled: reg.register(
                "alertmanager_cluster_enabled",
                "Indicates whether the clustering is enabled or not.",
                Gauge::default(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_info_is_a_gauge_with_value_one() {
        let reg = MetricRegistry::new();
        let info = BuildInfo {
            version: "0.1.0".into(),
            revision: "abc".into(),
            branch: "main".into(),
            goversion: "rust1.95".into(),
            goos: "linux".into(),
            goarch: "amd64".into(),
            tags: "unknown".into(),
        };
        let m = BuildMetrics::register(&reg, &info);
        let out = reg.encode();
        assert!(out.contains(
            "# HELP alertmanager_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which alertmanager was built, and the goos and goarch for the build.\n\
             # TYPE alertmanager_build_info gauge\n\
             alertmanager_build_info{branch=\"main\",goarch=\"amd64\",goos=\"linux\",goversion=\"rust1.95\",revision=\"abc\",tags=\"unknown\",version=\"0.1.0\"} 1\n"
        ));
        assert!(out.contains(
            "# HELP alertmanager_cluster_enabled Indicates whether the clustering is enabled or not.\n\
             # TYPE alertmanager_cluster_enabled gauge\n\
             alertmanager_cluster_enabled 0\n"
        ));
        m.cluster_enabled.set(1);
        assert!(reg.encode().contains("alertmanager_cluster_enabled 1\n"));
    }

    #[test]
    fn tocsin_build_info() {
        let info = BuildInfo::tocsin();
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(info.goversion, "rust1.95");
        assert_eq!(info.goos, std::env::consts::OS);
        assert_eq!(go_arch("x86_64"), "amd64");
        assert_eq!(go_arch("aarch64"), "arm64");
        assert_eq!(go_arch("riscv64"), "riscv64");
    }
}
