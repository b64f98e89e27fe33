//! Shell integration: functions that route `pip install` through guard, and
//! the marked block `guard setup` adds to start-up files.
