package io.makeparallel.task;

/**
 * The code of a task. Runs on a worker thread; whatever it returns becomes the result, whatever
 * it throws becomes the error. Implementations must tolerate being abandoned (cancel, timeout).
 */
@FunctionalInterface
public interface TaskBody {
  Object run(Task task) throws Exception;
}
