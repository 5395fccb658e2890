package io.makeparallel.python;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Where things live on disk: the writable cache folder (also GraalPy's resource cache) and the
 * folder holding the {@code makeparallel} Python package, extracted from the jar on first use.
 */
final class ResourceLocations {
  static final String PACKAGE_RESOURCE = "makeparallel-python";

  private ResourceLocations() {}

  /**
   * A writable cache folder: {@code -Dmakeparallel.cache}, {@code $MAKEPARALLEL_CACHE},
   * {@code $XDG_CACHE_HOME/makeparallel}, {@code ~/.cache/makeparallel}, else a folder in the
   * temp directory (for read-only homes, as on CI).
   */
  static Path cacheDir() {
    String explicit = System.getProperty("makeparallel.cache", System.getenv("MAKEPARALLEL_CACHE"));
    if (explicit != null && !explicit.isBlank()) {
      return ensureDir(Paths.get(explicit));
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank()
        ? Paths.get(xdg) : Paths.get(System.getProperty("user.home", "."), ".cache");
    Path candidate = base.resolve("makeparallel");
    if (writable(candidate)) {
      return candidate;
    }
    return ensureDir(Paths.get(System.getProperty("java.io.tmpdir"),
        "makeparallel-" + System.getProperty("user.name", "user")));
  }

  private static boolean writable(Path dir) {
    try {
      Files.createDirectories(dir);
      return Files.isWritable(dir);
    } catch (IOException | SecurityException e) {
      return false;
    }
  }

  private static Path ensureDir(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create cache folder " + dir, e);
    }
  }

  /** The folder to put on {@code sys.path} so {@code import makeparallel} works. */
  static Path pythonPackageRoot() {
    String override = System.getProperty("makeparallel.python.path");
    if (override != null) {
      return Paths.get(override);
    }
    URL marker = ResourceLocations.class.getResource("/" + PACKAGE_RESOURCE + "/makeparallel/__init__.py");
    if (marker == null) {
      throw new IllegalStateException("the makeparallel Python package is missing from the classpath");
    }
    try {
      if ("file".equals(marker.getProtocol())) {
        return Paths.get(marker.toURI()).getParent().getParent();
      }
      JarURLConnection conn = (JarURLConnection) marker.openConnection();
      conn.setUseCaches(false);
      try (JarFile jar = conn.getJarFile()) {
        Path jarPath = Paths.get(jar.getName());
        String stamp = Files.size(jarPath) + "-" + Files.getLastModifiedTime(jarPath).toMillis();
        Path target = cacheDir().resolve("python-" + stamp);
        if (!Files.isDirectory(target)) {
          extract(jar, target);
        }
        return target;
      }
    } catch (IOException | URISyntaxException e) {
      throw new IllegalStateException("cannot unpack the makeparallel Python package", e);
    }
  }

  private static void extract(JarFile jar, Path target) throws IOException {
    // Unpack beside the target and rename, so concurrent first runs never see half a package.
    Path tmp = Files.createTempDirectory(target.getParent(), "python-tmp");
    String prefix = PACKAGE_RESOURCE + "/";
    for (Enumeration<JarEntry> en = jar.entries(); en.hasMoreElements(); ) {
      JarEntry e = en.nextElement();
      if (!e.getName().startsWith(prefix) || e.isDirectory()) {
        continue;
      }
      Path out = tmp.resolve(e.getName().substring(prefix.length())).normalize();
      if (!out.startsWith(tmp)) {
        continue;
      }
      Files.createDirectories(out.getParent());
      try (InputStream in = jar.getInputStream(e)) {
        Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException | java.nio.file.FileAlreadyExistsException e) {
      if (!Files.isDirectory(target)) {
        throw e;
      }
    } catch (IOException e) {
      if (!Files.isDirectory(target)) {
        throw e;
      }
    }
  }
}
