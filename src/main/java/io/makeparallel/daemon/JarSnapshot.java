package io.makeparallel.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Names, sizes and modification times of the jars a daemon loaded (the same inputs as the
 * launcher's daemon key), taken at start and compared again on every run request: a daemon
 * whose distribution was rebuilt or replaced must never run anything. Immutable; thread-safe.
 */
final class JarSnapshot {
  private final Path dir;
  private final List<String> entries;

  private JarSnapshot(Path dir, List<String> entries) {
    this.dir = dir;
    this.entries = entries;
  }

  static JarSnapshot of(Path dir) throws IOException {
    return new JarSnapshot(dir, list(dir));
  }

  /** True when the folder still holds exactly the same files (false also when unreadable). */
  boolean unchanged() {
    try {
      return entries.equals(list(dir));
    } catch (IOException e) {
      return false;
    }
  }

  private static List<String> list(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s.sorted()::iterator) {
        out.add(p.getFileName() + " " + Files.size(p) + " " + Files.getLastModifiedTime(p).toMillis());
      }
    }
    return out;
  }
}
