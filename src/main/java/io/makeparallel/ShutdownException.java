package io.makeparallel;

/**
 * Thrown when work is submitted to, or still waiting in, a runtime that is shutting down.
 *
 * <p>Immutable and thread-safe.
 */
public class ShutdownException extends MakeParallelException {
  private static final long serialVersionUID = 1L;

  public ShutdownException(String message) {
    super(message);
  }
}
