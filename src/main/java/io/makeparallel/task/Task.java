package io.makeparallel.task;

import io.makeparallel.TaskCancelledException;
import io.makeparallel.internal.TaskAccess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One submitted unit of work and its handle: a state machine that resolves exactly once
 * (succeeded, failed, cancelled or timed out), with listeners that fire once on that transition.
 *
 * <p>Thread-safe. State changes happen under the task's monitor; listeners and progress
 * callbacks never run under it. The task holds its result only as long as something references
 * the task: the runtime forgets it once its code has returned.
 *
 * <p>The public methods are what a Java user may call: identity, state, outcome, waiting,
 * {@link #cancel}, progress and {@link #whenDone} listeners. Tasks come from
 * {@code TaskRuntime.submit}; the transitions that run and resolve them are the engine's and
 * are package-private, reached by the engine through {@code io.makeparallel.internal.TaskAccess}.
 */
public final class Task {
  private static final Logger LOG = LogManager.getLogger(Task.class);

  static {
    // The engine's packages reach the package-private transitions below through this one
    // instance; a Java user sees only the public methods.
    TaskAccess.install(new TaskAccess() {
      @Override public TaskBuilder builder() { return Task.builder(); }
      @Override public boolean markRunning(Task t, Runnable hardCanceller) { return t.markRunning(hardCanceller); }
      @Override public boolean markReady(Task t) { return t.markReady(); }
      @Override public TaskBody body(Task t) { return t.body(); }
      @Override public void codeFinished(Task t) { t.codeFinished(); }
      @Override public boolean succeed(Task t, Object value) { return t.succeed(value); }
      @Override public boolean fail(Task t, Object cause) { return t.fail(cause); }
      @Override public boolean timeOut(Task t, Object cause) { return t.timeOut(cause); }
      @Override public void setReleaser(Task t, Runnable releaser) { t.setReleaser(releaser); }
      @Override public void whenResolved(Task t, Consumer<Task> hook) { t.whenResolved(hook); }
      @Override public Map<String, String> metadata(Task t) { return t.metadata(); }
    });
  }

  private final String id;
  private final String name;
  private final int priority;
  private final long sequence;
  private final Duration timeout;
  private final boolean fromPriorityLauncher;
  private final LongSupplier ticker;
  private final Executor callbackExecutor;
  private final Consumer<Task> onResolved;
  private final long submittedNanos;
  private final CountDownLatch resolved = new CountDownLatch(1);
  private final CountDownLatch codeReturned = new CountDownLatch(1);
  private final Map<String, String> metadata = new ConcurrentHashMap<>();

  private volatile TaskBody body;
  private volatile TaskState state;
  private volatile long finishedNanos;
  private volatile long startedNanos;
  private volatile double progress = Double.NaN;
  private Object result;
  private Object error;
  private boolean started;
  private boolean codeDone;
  private boolean released;
  private Runnable runningCanceller;
  private List<Consumer<Task>> listeners = new ArrayList<>();
  /** {@link #whenResolved} hooks; null once resolved. Guarded by this. */
  private List<Consumer<Task>> inlineHooks = new ArrayList<>();
  private final List<DoubleConsumer> progressListeners = new ArrayList<>();
  private volatile Runnable releaser = () -> {};

  Task(TaskBuilder b) {
    this.id = b.id;
    this.name = b.name;
    this.priority = b.priority;
    this.sequence = b.sequence;
    this.timeout = b.timeout;
    this.fromPriorityLauncher = b.fromPriorityLauncher;
    this.ticker = b.ticker;
    this.callbackExecutor = b.callbackExecutor;
    this.onResolved = b.onResolved;
    this.body = b.body;
    this.state = b.waiting ? TaskState.WAITING : TaskState.QUEUED;
    this.submittedNanos = ticker.getAsLong();
  }

  /** Engine side: see {@code TaskAccess#builder}. */
  static TaskBuilder builder() {
    return new TaskBuilder();
  }

  // ---- identity -----------------------------------------------------------------------------

  public String id() { return id; }
  public String name() { return name; }
  public int priority() { return priority; }
  public long sequence() { return sequence; }
  public boolean fromPriorityLauncher() { return fromPriorityLauncher; }
  /** The timeout given at submission, or {@code null}. */
  public Duration timeout() { return timeout; }
  public TaskState state() { return state; }
  public boolean isDone() { return state.isTerminal(); }

  /** Seconds from submission to resolution, or to now while unresolved. */
  public double elapsedSeconds() {
    long end = isDone() ? finishedNanos : ticker.getAsLong();
    return (end - submittedNanos) / 1e9;
  }

  Map<String, String> metadata() { return metadata; }

  /** Nanoseconds the code ran before the task resolved (0 if it never started). */
  public long runNanos() {
    long s = startedNanos;
    return s == 0 || !isDone() ? 0 : Math.max(0, finishedNanos - s);
  }

  // ---- outcome ------------------------------------------------------------------------------

  /** The result once {@link TaskState#SUCCEEDED}, else {@code null}. */
  public synchronized Object result() { return result; }

  /** The error (a Throwable or a guest exception object) once failed, cancelled or timed out. */
  public synchronized Object error() { return error; }

  /** Waits until resolved. @return true if resolved within the timeout (null = forever). */
  public boolean await(Duration waitFor) throws InterruptedException {
    if (waitFor == null) {
      resolved.await();
      return true;
    }
    return resolved.await(waitFor.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Waits until the task's code has returned (or was never started and never will be). */
  public boolean awaitCodeReturned(Duration waitFor) throws InterruptedException {
    return codeReturned.await(waitFor.toNanos(), TimeUnit.NANOSECONDS);
  }

  // ---- transitions --------------------------------------------------------------------------

  /** Worker side: claims a queued task for execution. False if it was resolved meanwhile. */
  synchronized boolean markRunning(Runnable hardCanceller) {
    if (state != TaskState.QUEUED) {
      return false;
    }
    state = TaskState.RUNNING;
    started = true;
    startedNanos = ticker.getAsLong();
    runningCanceller = hardCanceller;
    return true;
  }

  /** Dependency side: the last dependency succeeded; the task may be queued. */
  synchronized boolean markReady() {
    if (state != TaskState.WAITING) {
      return false;
    }
    state = TaskState.QUEUED;
    return true;
  }

  TaskBody body() { return body; }

  /** Worker side: the task's code returned; frees the body and, if resolved, the slot. */
  void codeFinished() {
    synchronized (this) {
      codeDone = true;
      runningCanceller = null;
      body = null;
    }
    codeReturned.countDown();
    releaseIfIdle();
  }

  boolean succeed(Object value) {
    return resolve(TaskState.SUCCEEDED, value, null);
  }

  boolean fail(Object cause) {
    return resolve(TaskState.FAILED, null, Objects.requireNonNull(cause, "cause"));
  }

  boolean timeOut(Object cause) {
    return resolve(TaskState.TIMED_OUT, null, cause);
  }

  /** Cancels: queued → never runs; running → resolved now and the backend asked to stop it. */
  public boolean cancel() {
    if (state.isTerminal()) {
      // Cheap answer for the common "cancel whatever is left" sweep: no exception to build.
      return false;
    }
    return resolve(TaskState.CANCELLED, null,
        new TaskCancelledException("Task " + id + " was cancelled"));
  }

  /** True if this thread's work on the task should stop (resolved while running). */
  public boolean isCancelRequested() {
    TaskState s = state;
    return s == TaskState.CANCELLED || s == TaskState.TIMED_OUT;
  }

  private boolean resolve(TaskState to, Object value, Object cause) {
    List<Consumer<Task>> toRun;
    List<Consumer<Task>> inline;
    Runnable stopper = null;
    synchronized (this) {
      if (state.isTerminal()) {
        return false;
      }
      if ((to == TaskState.CANCELLED || to == TaskState.TIMED_OUT) && state == TaskState.RUNNING) {
        stopper = runningCanceller;
      }
      // Finish time and progress first: a reader that sees the terminal state (volatile)
      // must also see them.
      finishedNanos = ticker.getAsLong();
      if (to == TaskState.SUCCEEDED) {
        progress = 1.0;
      }
      result = value;
      error = cause;
      state = to;
      toRun = listeners;
      listeners = null;
      inline = inlineHooks;
      inlineHooks = null;
      if (!started) {
        body = null;
      }
    }
    if (onResolved != null) {
      // Before the waiters wake: whoever sees the task resolved also sees its bookkeeping.
      runGuarded("resolution hook", () -> onResolved.accept(this));
    }
    resolved.countDown();
    if (!started) {
      codeReturned.countDown();
    }
    for (Consumer<Task> hook : inline) {
      fire(hook);
    }
    if (stopper != null) {
      runGuarded("hard cancel", stopper);
    }
    // Hand callbacks over before the slot is released, so "idle" always includes them.
    if (!toRun.isEmpty()) {
      callbackExecutor.execute(() -> toRun.forEach(this::fire));
    }
    releaseIfIdle();
    return true;
  }

  /** Set by the runtime: called once when the task no longer occupies a slot. */
  void setReleaser(Runnable releaser) {
    this.releaser = releaser;
  }

  private void releaseIfIdle() {
    synchronized (this) {
      if (released || !state.isTerminal() || (started && !codeDone)) {
        return;
      }
      released = true;
    }
    releaser.run();
  }

  /** True once the task is resolved and its code (if it ever started) has returned. */
  public synchronized boolean isReleased() {
    return released;
  }

  // ---- listeners ----------------------------------------------------------------------------

  /**
   * Runs {@code listener} once when the task resolves, on the callback executor; if it has
   * already resolved, runs it now on the calling thread. Listeners run in registration order;
   * one that throws is logged and ignored.
   */
  public void whenDone(Consumer<Task> listener) {
    Objects.requireNonNull(listener, "listener");
    synchronized (this) {
      if (listeners != null) {
        listeners.add(listener);
        return;
      }
    }
    fire(listener);
  }

  /**
   * Runs {@code hook} once when the task resolves, on the thread that resolves it, right after
   * waiters can see the outcome (or now, on the calling thread, if it already has). For the
   * engine's own bookkeeping ({@code TaskGroup}'s completion queue): a hook must be quick and
   * never block; one that throws is logged and ignored. User callbacks belong in
   * {@link #whenDone}, which runs them on the callback executor.
   */
  void whenResolved(Consumer<Task> hook) {
    Objects.requireNonNull(hook, "hook");
    synchronized (this) {
      if (inlineHooks != null) {
        inlineHooks.add(hook);
        return;
      }
    }
    fire(hook);
  }

  private void fire(Consumer<Task> listener) {
    runGuarded("completion callback", () -> listener.accept(this));
  }

  private void runGuarded(String what, Runnable r) {
    try {
      r.run();
    } catch (Throwable t) {
      LOG.warn("{} of {} ('{}') raised and was ignored: {}", what, id, name, t.toString());
    }
  }

  // ---- progress -----------------------------------------------------------------------------

  /**
   * Records a progress fraction and tells the progress listeners.
   *
   * @throws IllegalArgumentException if {@code fraction} is not finite or outside [0, 1]
   * @throws TaskCancelledException if the task was cancelled or timed out
   */
  public void reportProgress(double fraction) {
    checkProgress(fraction);
    if (isCancelRequested()) {
      throw new TaskCancelledException("Task " + id + " was cancelled");
    }
    List<DoubleConsumer> targets;
    synchronized (this) {
      if (state == TaskState.SUCCEEDED) {
        return;
      }
      progress = fraction;
      targets = progressListeners.isEmpty() ? List.of() : new ArrayList<>(progressListeners);
    }
    for (DoubleConsumer c : targets) {
      runGuarded("progress callback", () -> c.accept(fraction));
    }
  }

  /**
   * Checks a progress fraction as {@link #reportProgress} does, for a caller that must refuse a
   * bad value before it knows the task (the one place progress values are checked).
   *
   * @throws IllegalArgumentException if {@code fraction} is not finite or outside [0, 1]
   */
  public static void checkProgress(double fraction) {
    if (!Double.isFinite(fraction)) {
      throw new IllegalArgumentException("progress must be a finite number (not NaN or Infinity)");
    }
    if (fraction < 0.0 || fraction > 1.0) {
      throw new IllegalArgumentException("progress must be between 0.0 and 1.0");
    }
  }

  /** Latest reported fraction (NaN if none), 1.0 once succeeded. */
  public double progress() {
    return progress;
  }

  /** Adds a progress listener, replaying the latest value to it first. */
  public void onProgress(DoubleConsumer listener) {
    Objects.requireNonNull(listener, "listener");
    double latest;
    synchronized (this) {
      progressListeners.add(listener);
      latest = progress;
    }
    if (!Double.isNaN(latest)) {
      runGuarded("progress callback", () -> listener.accept(latest));
    }
  }

  List<Consumer<Task>> pendingListenersForTest() {
    synchronized (this) {
      return listeners == null ? List.of() : Collections.unmodifiableList(listeners);
    }
  }

  @Override
  public String toString() {
    return String.format("Task[%s '%s' %s]", id, name, state);
  }
}
