package io.makeparallel;

/**
 * The outcome of a task one of whose dependencies failed, was cancelled or timed out. The
 * dependency's id is {@link #getDependencyId()}; its error object (a Java throwable or a guest
 * exception) is {@link #getDependencyError()}.
 *
 * <p>Immutable and thread-safe.
 */
public class DependencyException extends MakeParallelException {
  private static final long serialVersionUID = 1L;
  private final String dependencyId;
  private final transient Object dependencyError;

  public DependencyException(String taskId, String dependencyId, Object dependencyError) {
    super("Task " + taskId + " cannot run: dependency " + dependencyId + " did not succeed");
    this.dependencyId = dependencyId;
    this.dependencyError = dependencyError;
  }

  public String getDependencyId() {
    return dependencyId;
  }

  public Object getDependencyError() {
    return dependencyError;
  }
}
