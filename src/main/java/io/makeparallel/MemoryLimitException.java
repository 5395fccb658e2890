package io.makeparallel;

/**
 * Thrown when the memory guard keeps a submission out for longer than its wait allowance.
 *
 * <p>Immutable and thread-safe.
 */
public class MemoryLimitException extends MakeParallelException {
  private static final long serialVersionUID = 1L;

  public MemoryLimitException(String message) {
    super(message);
  }
}
