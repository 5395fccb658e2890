package io.makeparallel.python;

import io.makeparallel.DependencyException;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.Value;

/**
 * A task's error as the Python layer needs it: a kind naming the Python exception to raise
 * ({@link ErrorKinds}, the one table),
 * a message, the guest exception object when the task's own code raised, and for dependency
 * failures the dependency's error. Immutable.
 */
public final class ErrorView {
  private final String kind;
  private final String message;
  private final Object guest;
  private final ErrorView cause;
  private final String causeTaskId;

  private ErrorView(String kind, String message, Object guest, ErrorView cause, String causeTaskId) {
    this.kind = kind;
    this.message = message;
    this.guest = guest;
    this.cause = cause;
    this.causeTaskId = causeTaskId;
  }

  /** Describes an error object stored in a task (guest exception, Java throwable, or null). */
  static ErrorView of(Object error) {
    if (error == null) {
      return null;
    }
    if (error instanceof Value v) {
      return new ErrorView("guest", null, v, null, null);
    }
    if (error instanceof RemoteError r) {
      return new ErrorView("remote", r.typeName(), r.payload(), null, null);
    }
    Throwable t = (Throwable) error;
    String kind = ErrorKinds.ofOutcome(t);
    if (t instanceof DependencyException d) {
      return new ErrorView(kind, d.getMessage(), null, of(d.getDependencyError()), d.getDependencyId());
    }
    if (kind.equals(ErrorKinds.TASK_ERROR)) {
      return new ErrorView(kind, t.getClass().getSimpleName() + ": " + t.getMessage(), null, null, null);
    }
    return new ErrorView(kind, t.getMessage(), null, null, null);
  }

  /** {@code guest}, {@code remote} (pickled exception from a worker interpreter), or a makeparallel error class name. */
  @HostAccess.Export
  public String kind() {
    return kind;
  }

  @HostAccess.Export
  public String message() {
    return message;
  }

  /** The guest exception (kind {@code guest}) or the pickled payload bytes (kind {@code remote}). */
  @HostAccess.Export
  public Object guest() {
    return guest;
  }

  @HostAccess.Export
  public ErrorView cause() {
    return cause;
  }

  @HostAccess.Export
  public String causeTaskId() {
    return causeTaskId;
  }
}
