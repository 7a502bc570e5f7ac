//! `tocsin template render`: amtool's `template render`. Renders a template
//! string (`--template.text`) in text or HTML mode against the built-in
//! templates plus the files matched by `--template.glob`, with the data of
//! `--template.data` (a JSON `template.Data`) or amtool's sample data, and
//! prints the result as amtool does (no trailing newline added).

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::alert::Timestamp;
use crate::template::data::data_from_json;
use crate::template::gotime::{GoTime, Loc};
use crate::template::{AmTemplates, Data};

/// `tocsin template ...`.
#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Render a given definition in a template file to standard output.
    Render(RenderArgs),
}

/// The flags of `template render`.
#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// Glob of paths that will be expanded and used for rendering.
    #[arg(long = "template.glob", required = true, action = clap::ArgAction::Append)]
    pub template_glob: Vec<String>,

    /// The template that will be rendered.
    #[arg(long = "template.text", required = true)]
    pub template_text: String,

    /// The type of the template. Can be either text (default) or html.
    #[arg(long = "template.type", default_value = "text", value_parser = ["html", "text"])]
    pub template_type: String,

    /// The JSON file holding the `template.Data` to render with.
    #[arg(
        long = "template.data",
        help = "Full path to a file which contains the data of the alert(-s) with which the --template.text will be rendered. Must be in JSON. File must be formatted according to the following layout: https://pkg.go.dev/github.com/prometheus/alertmanager/template#Data. If none has been specified then a predefined, simple alert will be used for rendering."
    )]
    pub template_data: Option<String>,
}

/// Renders as `amtool template render` does; the error is amtool's message.
pub fn render(args: &RenderArgs, now: Option<Timestamp>) -> Result<String, String> {
    let tmpl = AmTemplates::from_globs(&args.template_glob).map_err(|e| e.to_string())?;
    let data = match &args.template_data {
        None => {
            let now = match now {
                Some(t) => GoTime::from_utc(&t).in_loc(Loc::Local),
                None => GoTime::now(),
            };
            Data::amtool_sample(&now)
        }
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("open {path}: {}", crate::config::io_error_text(&e)))?;
            data_from_json(&text)?
        }
    };
    let dot = data.struct_value();
    let result = if args.template_type == "html" {
        tmpl.execute_html_with(&args.template_text, &dot)
    } else {
        tmpl.execute_text_with(&args.template_text, &dot)
    };
    result.map_err(|e| e.to_string())
}

/// Runs the subcommand: prints the rendering, or `tocsin: error: ...` and
/// exits with 1.
pub fn main(command: &TemplateCommand) -> ExitCode {
    let TemplateCommand::Render(args) = command;
    match render(args, None) {
        Ok(out) => {
            let mut stdout = std::io::stdout();
            if stdout
                .write_all(out.as_bytes())
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tocsin: error: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: TemplateCommand,
    }

    fn parse(args: &[&str]) -> Result<RenderArgs, clap::Error> {
        let cli = Cli::try_parse_from(std::iter::once("t").chain(args.iter().copied()))?;
        let TemplateCommand::Render(a) = cli.command;
        Ok(a)
    }

    #[test]
    fn flags_like_amtool() {
        let a = parse(&[
            "render",
            "--template.glob=a/*.tmpl",
            "--template.glob",
            "b/*.tmpl",
            "--template.text={{ . }}",
        ])
        .unwrap();
        assert_eq!(a.template_glob, vec!["a/*.tmpl", "b/*.tmpl"]);
        assert_eq!(a.template_type, "text");
        assert!(a.template_data.is_none());
        assert!(parse(&["render", "--template.text=x"]).is_err());
        assert!(
            parse(&[
                "render",
                "--template.glob=x",
                "--template.text=x",
                "--template.type=pdf"
            ])
            .is_err()
        );
    }

    #[test]
    fn renders_default_data_and_json_data() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.tmpl"),
            r#"{{ define "mine" }}{{ .Receiver }}: {{ len .Alerts.Firing }} firing{{ end }}"#,
        )
        .unwrap();
        let glob = format!("{}/*.tmpl", dir.path().display());
        let now = chrono::Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        let mut args = parse(&[
            "render",
            &format!("--template.glob={glob}"),
            r#"--template.text={{ template "mine" . }} {{ (index .Alerts 0).StartsAt.Format "15:04" }}"#,
        ])
        .unwrap();
        assert_eq!(
            render(&args, Some(now)).unwrap(),
            "receiver: 1 firing 02:59"
        );
        let data = dir.path().join("data.json");
        std::fs::write(&data, r#"{"receiver":"x","alerts":[{"status":"firing"}]}"#).unwrap();
        args.template_data = Some(data.display().to_string());
        args.template_type = "html".into();
        assert_eq!(render(&args, Some(now)).unwrap(), "x: 1 firing 00:00");
        args.template_text = "{{ .Nope }}".into();
        assert_eq!(
            render(&args, Some(now)).unwrap_err(),
            "template: :1:3: executing \"\" at <.Nope>: can't evaluate field Nope in type template.Data"
        );
        args.template_data = Some("/nonexistent/data.json".into());
        assert_eq!(
            render(&args, Some(now)).unwrap_err(),
            "open /nonexistent/data.json: no such file or directory"
        );
    }
}
