//! The process's own figures, under the names every Prometheus client library uses
//! (`process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_open_fds`), so
//! standard dashboards and alerts work unchanged. Read from `/proc` at each scrape; on other
//! systems the families are absent.

/// Registers the observable instruments on the global meter; call once, after the provider is set.
pub(super) fn register() {
    #[cfg(target_os = "linux")]
    linux::register();
}

#[cfg(target_os = "linux")]
mod linux {
    use procfs::process::Process;

    pub(super) fn register() {
        let meter = crate::telemetry::meter();
        let ticks = procfs::ticks_per_second() as f64;
        let page = procfs::page_size();
        // The instruments live as long as the meter provider: dropping the handles does not
        // unregister their callbacks.
        let _cpu = meter
            .f64_observable_counter("process_cpu")
            .with_unit("s")
            .with_description("user and system CPU time spent by the process")
            .with_callback(move |observer| {
                if let Ok(stat) = Process::myself().and_then(|p| p.stat()) {
                    observer.observe((stat.utime + stat.stime) as f64 / ticks, &[]);
                }
            })
            .build();
        let _rss = meter
            .u64_observable_gauge("process_resident_memory")
            .with_unit("By")
            .with_description("resident set size of the process")
            .with_callback(move |observer| {
                if let Ok(stat) = Process::myself().and_then(|p| p.stat()) {
                    observer.observe(stat.rss.saturating_mul(page), &[]);
                }
            })
            .build();
        let _fds = meter
            .u64_observable_gauge("process_open_fds")
            .with_description("open file descriptors of the process")
            .with_callback(|observer| {
                if let Ok(count) = Process::myself().and_then(|p| p.fd_count()) {
                    observer.observe(count as u64, &[]);
                }
            })
            .build();
    }
}
