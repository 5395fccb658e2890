package io.makeparallel.internal;

import io.makeparallel.TaskRuntime;
import java.util.function.Function;

/**
 * <b>Not API.</b> The engine's door to a {@link TaskRuntime}'s backends, whose type
 * ({@link Backend}, and through it {@link WorkerPool}) is internal: registering the
 * interpreters backend, reading a pool's size and threads for the bridge and the end of a script.
 * Those methods are package-private in {@code io.makeparallel}; {@code TaskRuntime}'s static
 * initializer installs the one instance of this class (the JDK's "shared secrets" shape, as
 * {@link TaskAccess} for tasks). Tests that look at pools use it too.
 *
 * <p>Thread-safe: every method delegates to the runtime, which is.
 */
public abstract class RuntimeAccess {
  private static volatile RuntimeAccess instance;

  /** For {@code TaskRuntime}'s own implementation only; {@link #install} refuses any other. */
  protected RuntimeAccess() {}

  /**
   * Called once by {@code TaskRuntime}'s static initializer.
   *
   * @throws IllegalStateException if an instance is already installed or {@code access} is not
   *     {@code TaskRuntime}'s own
   */
  public static synchronized void install(RuntimeAccess access) {
    if (instance != null || access.getClass().getNestHost() != TaskRuntime.class) {
      throw new IllegalStateException("RuntimeAccess is installed once, by TaskRuntime");
    }
    instance = access;
  }

  /** The installed instance; initializes {@code TaskRuntime} (which installs it) on first use. */
  public static RuntimeAccess get() {
    RuntimeAccess a = instance;
    if (a != null) {
      return a;
    }
    try {
      Class.forName(TaskRuntime.class.getName(), true, TaskRuntime.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("TaskRuntime is not loadable", e);
    }
    return instance;
  }

  /** Makes a backend available by name; it is created on first use. */
  public abstract void registerBackend(TaskRuntime runtime, String name,
      Function<TaskRuntime, Backend> factory);

  /**
   * The backend, creating it on first use.
   *
   * @throws IllegalArgumentException if no backend of that name is registered
   * @throws io.makeparallel.ShutdownException if the runtime is closed
   */
  public abstract Backend backend(TaskRuntime runtime, String name);

  /** The backend if it has been created, else null. */
  public abstract Backend existingBackend(TaskRuntime runtime, String name);
}
