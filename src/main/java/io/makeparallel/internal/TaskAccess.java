package io.makeparallel.internal;

import io.makeparallel.task.Task;
import io.makeparallel.task.TaskBody;
import io.makeparallel.task.TaskBuilder;
import java.util.Map;
import java.util.function.Consumer;

/**
 * <b>Not API.</b> The engine's door to the parts of a {@link Task} a Java user must not call:
 * its builder, state transitions, body, slot releaser, inline resolution hook and bookkeeping
 * map. Those are package-private in {@code io.makeparallel.task}; the engine's other packages
 * (the runtime, its workers, the Python bridge) reach them through the one instance of this
 * class, which {@code Task}'s static initializer installs (the JDK's "shared secrets" shape).
 * Tests that play the engine's part use it too.
 *
 * <p>Thread-safe: every method delegates to the task, which is.
 */
public abstract class TaskAccess {
  private static volatile TaskAccess instance;

  /** For {@code Task}'s own implementation only; {@link #install} refuses any other. */
  protected TaskAccess() {}

  /**
   * Called once by {@code Task}'s static initializer.
   *
   * @throws IllegalStateException if an instance is already installed or {@code access} is not
   *     {@code Task}'s own
   */
  public static synchronized void install(TaskAccess access) {
    // Only a class nested in Task can call its package-private members, so only such a class
    // is a working implementation; refusing others keeps a stray subclass from taking the slot.
    if (instance != null || access.getClass().getNestHost() != Task.class) {
      throw new IllegalStateException("TaskAccess is installed once, by Task");
    }
    instance = access;
  }

  /** The installed instance; initializes {@code Task} (which installs it) on first use. */
  public static TaskAccess get() {
    TaskAccess a = instance;
    if (a != null) {
      return a;
    }
    try {
      Class.forName(Task.class.getName(), true, Task.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("Task is not loadable", e);
    }
    return instance;
  }

  /** A builder for a task the caller will schedule and resolve itself. */
  public abstract TaskBuilder builder();

  /** Worker side: claims a queued task for execution. False if it was resolved meanwhile. */
  public abstract boolean markRunning(Task task, Runnable hardCanceller);

  /** Dependency side: the last dependency succeeded; a waiting task may be queued. */
  public abstract boolean markReady(Task task);

  /** The task's code, or null once it has run or can no longer run. */
  public abstract TaskBody body(Task task);

  /** Worker side: the task's code returned; frees the body and, if resolved, the slot. */
  public abstract void codeFinished(Task task);

  /** Resolves as succeeded. False if already resolved. */
  public abstract boolean succeed(Task task, Object value);

  /** Resolves as failed with {@code cause} (a throwable or a guest error). False if already resolved. */
  public abstract boolean fail(Task task, Object cause);

  /** Resolves as timed out (and stops running code like a cancel). False if already resolved. */
  public abstract boolean timeOut(Task task, Object cause);

  /** Sets what runs once when the task no longer occupies a slot. */
  public abstract void setReleaser(Task task, Runnable releaser);

  /**
   * Runs {@code hook} on the resolving thread right after waiters can see the outcome (now, if
   * resolved). For the engine's bookkeeping: it must be quick and never block.
   */
  public abstract void whenResolved(Task task, Consumer<Task> hook);

  /** The task's engine-side tags (for example which bridge submitted it). Mutable, concurrent. */
  public abstract Map<String, String> metadata(Task task);
}
