package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.MakeParallelException;
import io.makeparallel.task.Task;
import java.time.Duration;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Value;
import org.junit.jupiter.api.Test;

/**
 * A threads task cut off because its context exits ({@code os._exit} on another thread of an
 * embedder's context) fails with an error saying so (issue 14), not with a
 * NullPointerException logged at ERROR by the worker pool.
 */
class ContextExitTest {
  @Test
  void taskCutOffByAContextExitFailsSayingSo() throws Exception {
    Context ctx = PythonTestSupport.newContext();
    try {
      Value handle = ctx.eval("python", String.join("\n",
          "import threading, makeparallel as mp",
          "started = threading.Event()",
          "@mp.parallel",
          "def wait_long():",
          "    started.set()",
          "    threading.Event().wait(120)",
          "h = wait_long()",
          "assert started.wait(60), 'the task never started'",
          "h._h", ""));
      Task task = handle.asHostObject() instanceof HostHandle hh ? hh.task() : null;
      assertTrue(task != null, "not a host handle: " + handle);
      // os._exit on a thread of this context: GraalPy stops every thread of the context.
      Thread exiter = new Thread(() -> {
        try {
          ctx.eval("python", "import os\nos._exit(5)");
        } catch (PolyglotException expected) {
          // this thread is stopped too
        }
      }, "context-exit");
      exiter.start();
      exiter.join(60_000);
      assertTrue(task.await(Duration.ofSeconds(60)), "the task did not resolve: " + task);
      Object error = task.error();
      assertInstanceOf(MakeParallelException.class, error, String.valueOf(error));
      assertTrue(((Throwable) error).getMessage().contains("cut off"), ((Throwable) error).getMessage());
    } finally {
      PythonContexts.closeQuietly(ctx);
      PythonTestSupport.settleRuntime();
    }
  }
}
