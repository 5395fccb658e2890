package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Value;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every {@code tests-py/test_*.py} (stdlib unittest) under GraalPy, each file in a fresh
 * context on the shared runtime, and reports every Python test case as its own JUnit test.
 */
class PythonSuiteTest {
  private static final AtomicInteger PASSED = new AtomicInteger();
  private static final AtomicInteger FAILED = new AtomicInteger();
  private static final AtomicInteger SKIPPED = new AtomicInteger();

  @TestFactory
  List<DynamicNode> pythonTests() throws Exception {
    String runner = PythonTestSupport.resource("unittest_runner.py");
    List<DynamicNode> files = new ArrayList<>();
    // -Dmakeparallel.pyfiles=test_a,test_b runs only the files whose names start with those.
    String only = System.getProperty("makeparallel.pyfiles", "");
    for (Path file : PythonTestSupport.pythonFiles("tests-py", "test_")) {
      String fileName = file.getFileName().toString();
      if (!only.isBlank() && java.util.Arrays.stream(only.split(",")).noneMatch(fileName::startsWith)) {
        continue;
      }
      files.add(DynamicContainer.dynamicContainer(file.getFileName().toString(), runFile(runner, file)));
    }
    assertTrue(!files.isEmpty(), "no tests-py/test_*.py files found (makeparallel.pyfiles=" + only + ")");
    return files;
  }

  private List<DynamicNode> runFile(String runner, Path file) throws Exception {
    List<DynamicNode> cases = new ArrayList<>();
    List<String[]> rows = new ArrayList<>();
    Context ctx = PythonTestSupport.newContext();
    try {
      ctx.eval("python", runner);
      Value result = ctx.getBindings("python").getMember("run_file").execute(file.toString());
      for (long i = 0; i < result.getArraySize(); i++) {
        Value row = result.getArrayElement(i);
        rows.add(new String[] {row.getArrayElement(0).asString(), row.getArrayElement(1).asString(),
            row.getArrayElement(2).asString()});
      }
    } finally {
      try {
        ctx.close();
      } catch (IllegalStateException e) {
        // Keep the file's own results (they say what went wrong) and report the leftover.
        rows.add(new String[] {"<teardown>", "fail",
            "a thread the file started was still running Python when it ended: " + e.getMessage()});
        ctx.close(true);
      }
      boolean settled = PythonTestSupport.settleRuntime();
      if (!settled) {
        rows.add(new String[] {"<teardown>", "fail", "tasks were still running 40 s after the file ended"});
      }
    }
    for (String[] row : rows) {
      String id = row[0];
      String shortName = id.contains(".") ? id.substring(id.indexOf('.') + 1) : id;
      cases.add(DynamicTest.dynamicTest(shortName, () -> report(id, row[1], row[2])));
    }
    return cases;
  }

  private static void report(String id, String outcome, String message) {
    switch (outcome) {
      case "pass" -> PASSED.incrementAndGet();
      case "skip" -> {
        SKIPPED.incrementAndGet();
        Assumptions.abort("skipped: " + message);
      }
      default -> {
        FAILED.incrementAndGet();
        fail(id + " " + outcome + ":\n" + message);
      }
    }
  }

  @AfterAll
  static void summary() {
    System.out.println("python: " + PASSED.get() + " passed, " + FAILED.get() + " failed, "
        + SKIPPED.get() + " skipped");
  }
}
