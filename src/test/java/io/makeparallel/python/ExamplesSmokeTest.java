package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.MakeParallel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Runs every {@code examples/*.py} as the launcher would, in-process; each must exit 0. */
class ExamplesSmokeTest {
  @TestFactory
  List<DynamicTest> examples() throws Exception {
    List<DynamicTest> tests = new ArrayList<>();
    for (Path script : PythonTestSupport.pythonFiles("examples", "")) {
      tests.add(DynamicTest.dynamicTest(script.getFileName().toString(), () -> {
        int status;
        try {
          status = MakeParallel.runScript(script, List.of());
        } finally {
          assertTrue(PythonTestSupport.settleRuntime(), "tasks left running after " + script);
        }
        assertEquals(0, status, script + " exited with " + status);
      }));
    }
    assertTrue(!tests.isEmpty(), "no examples found");
    return tests;
  }
}
