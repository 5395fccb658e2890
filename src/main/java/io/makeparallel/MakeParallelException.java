package io.makeparallel;

/**
 * Root of every exception the makeparallel runtime raises on its own account (as opposed to
 * errors thrown by user tasks, which are carried through unchanged).
 *
 * <p>Unchecked, immutable and therefore thread-safe. The Python layer maps each subclass to the
 * exception of the same role in {@code makeparallel} (API.md §8).
 */
public class MakeParallelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MakeParallelException(String message) {
    super(message);
  }

  public MakeParallelException(String message, Throwable cause) {
    super(message, cause);
  }
}
