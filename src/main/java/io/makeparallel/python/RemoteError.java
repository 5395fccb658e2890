package io.makeparallel.python;

/**
 * An exception raised by a task in a worker interpreter, carried back as data: the exception's
 * type name and a pickled payload (exception object plus traceback text, latin-1 text) that the caller's
 * context rebuilds. Immutable.
 */
public final class RemoteError extends Exception {
  private static final long serialVersionUID = 1L;
  private final String typeName;
  private final String payload;

  public RemoteError(String typeName, String payload) {
    super(typeName, null, false, false);
    this.typeName = typeName;
    this.payload = payload;
  }

  public String typeName() {
    return typeName;
  }

  public String payload() {
    return payload;
  }
}
