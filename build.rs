//! Re-embed the migrations whenever a file under `migrations/` changes: `embed_migrations!`
//! reads the folder at compile time, and cargo would not notice new SQL otherwise.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
