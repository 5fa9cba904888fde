//! The front-end binary.

/// jemalloc, configured at build time (`.cargo/config.toml`) to hand freed pages
/// back to the OS within a second (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::service::run::<flexi_front_end::Application>().await
}
