package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    Source[] made = new Source[40];
    for (int i = 0; i < made.length; i++) {
      made[i] = WarmRun.scriptSource(Files.writeString(dir.resolve("s" + i + ".py"), "x = " + i + "\n").toString());
    }
    assertEquals(32, WarmRun.keptScripts(), "bounded");
    assertTrue(WarmRun.kept(made[39]), "the newest is kept");
    assertFalse(WarmRun.kept(made[0]), "the oldest was let go");
  }
}
