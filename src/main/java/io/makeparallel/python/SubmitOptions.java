package io.makeparallel.python;

import java.time.Duration;

/**
 * The typed options of one submission through {@link Bridge}: the task's name, priority, an
 * optional timeout (null for none, never a sentinel) and whether a priority launcher made it.
 * Made by {@link Bridge#options} once per decorator (a call that overrides an option makes its
 * own) and handed back with each submission, so a submission crosses the boundary with three
 * arguments instead of seven. Exports nothing: Python only passes it back.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name             the task's name (its function's qualified name by default)
 * @param priority         higher runs first (priority launchers only)
 * @param timeout          the task's deadline from its start, or null for none
 * @param priorityLauncher whether the task goes to the priority queue
 */
public record SubmitOptions(String name, int priority, Duration timeout, boolean priorityLauncher) {}
