"""The one `tagger` command (tagger.cli.main). Top of the import order: each subcommand module
imports the library (and `training`) only inside the command that needs it, so `tagger --help`
stays fast."""
