//! The `tocsin` binary: parses Alertmanager's command line and runs the server
//! or one of the amtool-style subcommands.

use std::path::Path;
use std::process::ExitCode;

use tocsin::cli::{self, Cli, Command, ConfigCommand, FeatureFlags, RoutesCommand};
use tocsin::config::{Config, LoadOptions};
use tocsin::dispatch::Route;

/// mimalloc: the server allocates and frees label sets, request bodies and
/// notification payloads at a high rate from few threads.
///
/// Built without transparent huge pages (`no_thp`): with the kernel's
/// usual `defrag = madvise`, every huge-page fault of a growing heap may
/// compact memory synchronously, and a burst of new alerts then ran at
/// 150k or 290k alerts/s depending on the state of the machine's memory;
/// with 4 KiB pages it runs at 250–270k every time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if cli.version {
        print!("{}", cli::version_text());
        return ExitCode::SUCCESS;
    }
    match cli.command {
        None => tocsin::server::run(cli.server),
        Some(Command::Template { command }) => cli::template::main(&command),
        Some(Command::History { command, common }) => cli::history::main(&command, &common),
        Some(Command::Receivers { command }) => cli::receivers::main(&command),
        Some(Command::CheckConfig {
            files,
            enable_feature,
        }) => {
            let opts = match load_options(&enable_feature) {
                Ok(o) => o,
                Err(code) => return code,
            };
            let files = if files.is_empty() {
                // Like amtool: read the configuration from a pipe or file on stdin.
                use std::io::IsTerminal;
                if std::io::stdin().is_terminal() {
                    eprintln!("tocsin: error: Failed to read from standard input");
                    return ExitCode::from(1);
                }
                vec!["/dev/stdin".to_string()]
            } else {
                files
            };
            let mut stdout = std::io::stdout();
            match cli::check_config::run(&files, opts, &mut stdout) {
                Ok(0) => ExitCode::SUCCESS,
                Ok(n) => {
                    eprintln!("tocsin: error: failed to validate {n} file(s)");
                    ExitCode::from(1)
                }
                // A closed pipe (`| head`) is not worth a message.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(1),
                Err(e) => {
                    eprintln!("tocsin: error: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Some(Command::Config {
            command:
                ConfigCommand::Routes {
                    command,
                    config_file,
                    enable_feature,
                },
        }) => {
            let opts = match load_options(&enable_feature) {
                Ok(o) => o,
                Err(code) => return code,
            };
            let Some(file) = config_file else {
                eprintln!("tocsin: error: --config.file is required");
                return ExitCode::from(1);
            };
            let cfg = match Config::load_file(Path::new(&file), opts) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("tocsin: error: {e}");
                    return ExitCode::from(1);
                }
            };
            let root = Route::new(cfg.root_route());
            match command.unwrap_or(RoutesCommand::Show) {
                RoutesCommand::Show => {
                    cli::routes::print(&cli::routes::show(&root));
                    ExitCode::SUCCESS
                }
                RoutesCommand::Test {
                    verify_receivers,
                    tree,
                    labels,
                } => {
                    let labels = match cli::routes::parse_labels(&labels, opts.matcher_mode) {
                        Ok(l) => l,
                        Err(e) => {
                            eprintln!("tocsin: error: {e}");
                            return ExitCode::from(1);
                        }
                    };
                    let outcome = cli::routes::test(&root, &labels, &verify_receivers, tree);
                    cli::routes::print(&outcome.output);
                    if outcome.verified {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    }
                }
            }
        }
    }
}

fn load_options(enable_feature: &str) -> Result<LoadOptions, ExitCode> {
    match FeatureFlags::parse(enable_feature) {
        Ok(f) => Ok(LoadOptions {
            matcher_mode: f.parse_mode(),
        }),
        Err(e) => {
            eprintln!("tocsin: error: {e}");
            Err(ExitCode::from(1))
        }
    }
}
