//! Generates the Rust code for every `.proto` under the repository's `proto/` with a vendored
//! `protoc`, so building needs no system protobuf compiler.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let files = [
        "butterboard/events/v1/events.proto",
        "butterboard/scenario/v1/scenario.proto",
        "butterboard/meeting/v1/meeting.proto",
        "butterboard/recording/v1/recording.proto",
        "butterboard/feedback/v1/feedback.proto",
        "butterboard/ingest/v1/ingest.proto",
    ];
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    let include = protoc_bin_vendored::include_path()?;
    // prost-build finds protoc through the PROTOC variable.
    unsafe_env_protoc(&protoc);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        // A method a server does not implement yet answers UNIMPLEMENTED instead of breaking the
        // build: protos grow ahead of their servers.
        .generate_default_stubs(true)
        .file_descriptor_set_path(out.join("butterboard_descriptor.bin"))
        .compile_protos(&files.map(|f| root.join(f)), &[root.clone(), include])?;
    println!("cargo:rerun-if-changed={}", root.display());
    Ok(())
}

fn unsafe_env_protoc(path: &std::path::Path) {
    // `set_var` is unsafe in edition 2024 because other threads may read the environment; a build
    // script has no other threads.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var("PROTOC", path);
    }
}
