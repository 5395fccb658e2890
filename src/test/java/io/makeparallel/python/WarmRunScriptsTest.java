package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.graalvm.polyglot.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A warm daemon keeps each script's {@link Source}: the engine's source cache holds parsed and
 * compiled code only while that Source is reachable, so a Source dropped after its run made the
 * next run parse, interpret and compile the script again.
 */
class WarmRunScriptsTest {
  @TempDir Path dir;

  @Test
  void theSameScriptIsTheSameKeptSourceRunAfterRun() throws Exception {
    Path script = Files.writeString(dir.resolve("job.py"), "print('one')\n");
    Source first = WarmRun.scriptSource(script.toString());
    assertSame(first, WarmRun.scriptSource(script.toString()), "the kept Source, not an equal copy");
  }

  @Test
  void anEditedScriptIsANewSourceWithTheNewText() throws Exception {
    Path script = Files.writeString(dir.resolve("job.py"), "print('one')\n");
    Source before = WarmRun.scriptSource(script.toString());
    Files.writeString(script, "print('two')\n");
    Source after = WarmRun.scriptSource(script.toString());
    assertNotSame(before, after);
    assertEquals("print('two')\n", after.getCharacters().toString());
  }

  @Test
  void onlyTheMostRecentScriptsAreKept() throws Exception {
    for (int i = 0; i < 40; i++) {
      WarmRun.scriptSource(Files.writeString(dir.resolve("s" + i + ".py"), "x = " + i + "\n").toString());
    }
    assertTrue(WarmRun.keptScripts() <= 32, "bounded: " + WarmRun.keptScripts());
    Path last = dir.resolve("s39.py");
    assertSame(WarmRun.scriptSource(last.toString()), WarmRun.scriptSource(last.toString()));
  }
}
