"""Pure trading policies: functions over outcomes, no actors, no I/O."""
