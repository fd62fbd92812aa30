"""The bot as a program: CLI, one run of the bot, one-shot wallet tasks, the summary."""
