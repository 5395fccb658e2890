package io.makeparallel.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Test TLS material made with the JDK's keytool, as README's recipe makes it: one cluster CA,
 * a truststore holding it, and per member a PKCS12 keystore with a key signed by that CA. {@link
 * #rogue} is a member signed by another CA (its own truststore trusts that one).
 */
public final class TestCerts {
  public static final String PASSWORD = "test-pass-1";
  final Path dir;

  private TestCerts(Path dir) {
    this.dir = dir;
  }

  private static TestCerts shared;

  /**
   * One set for every cluster test of this JVM (keytool takes seconds per call): CA "ca", and
   * keystores for caller, member, member2, m1, m2, plus "r1" signed by another CA. Deleted at exit.
   */
  public static synchronized TestCerts shared() throws IOException, InterruptedException {
    if (shared == null) {
      Path dir = Files.createTempDirectory("mp-certs-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try (var files = Files.list(dir)) {
          files.forEach(f -> f.toFile().delete());
        } catch (IOException e) {
          // best effort
        }
        dir.toFile().delete();
      }));
      TestCerts c = make(dir, "caller", "member", "member2", "m1", "m2");
      c.rogue("r1");
      shared = c;
    }
    return shared;
  }

  /** CA "ca" with truststore trust.p12, and keystores for each of {@code members}. */
  public static TestCerts make(Path dir, String... members) throws IOException, InterruptedException {
    TestCerts c = new TestCerts(dir);
    c.ca("ca", "trust.p12");
    for (String m : members) {
      c.member("ca", m);
    }
    return c;
  }

  /** A member signed by a CA of its own ("rogue-ca"), trusting only that CA. */
  public void rogue(String name) throws IOException, InterruptedException {
    if (!Files.exists(dir.resolve("rogue-ca.p12"))) {
      ca("rogue-ca", "rogue-trust.p12");
    }
    member("rogue-ca", name);
  }

  public Path keystore(String member) {
    return dir.resolve(member + ".p12");
  }

  public Path truststore() {
    return dir.resolve("trust.p12");
  }

  Path rogueTruststore() {
    return dir.resolve("rogue-trust.p12");
  }

  private void ca(String ca, String trust) throws IOException, InterruptedException {
    keytool("-genkeypair", "-alias", ca, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + ca,
        "-ext", "bc:c", "-validity", "30", "-keystore", ca + ".p12", "-storetype", "PKCS12");
    keytool("-exportcert", "-rfc", "-alias", ca, "-keystore", ca + ".p12", "-file", ca + ".pem");
    keytool("-importcert", "-noprompt", "-alias", ca, "-file", ca + ".pem", "-keystore", trust,
        "-storetype", "PKCS12");
  }

  private void member(String ca, String m) throws IOException, InterruptedException {
    keytool("-genkeypair", "-alias", m, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + m,
        "-validity", "30", "-keystore", m + ".p12", "-storetype", "PKCS12");
    keytool("-certreq", "-alias", m, "-keystore", m + ".p12", "-file", m + ".csr");
    keytool("-gencert", "-rfc", "-alias", ca, "-keystore", ca + ".p12", "-infile", m + ".csr", "-outfile",
        m + ".pem", "-ext", "ku:c=digitalSignature,keyAgreement", "-ext", "eku=serverAuth,clientAuth");
    keytool("-importcert", "-noprompt", "-alias", ca, "-file", ca + ".pem", "-keystore", m + ".p12");
    keytool("-importcert", "-noprompt", "-alias", m, "-file", m + ".pem", "-keystore", m + ".p12");
  }

  /**
   * JDK 21+'s keytool can run in this JVM (its {@code run} is public there; the package is
   * exported to the tests by the surefire argLine): ~40 calls then take a second or two instead
   * of a JVM start each. Older JDKs start the keytool command.
   */
  private static final java.lang.reflect.Method IN_PROCESS = inProcessKeytool();

  private static java.lang.reflect.Method inProcessKeytool() {
    try {
      return Class.forName("sun.security.tools.keytool.Main").getMethod("run", String[].class,
          java.io.PrintStream.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  private void keytool(String... args) throws IOException, InterruptedException {
    if (IN_PROCESS != null) {
      List<String> a = new ArrayList<>();
      for (int i = 0; i < args.length; i++) {
        boolean file = i > 0 && List.of("-keystore", "-file", "-infile", "-outfile").contains(args[i - 1]);
        a.add(file ? dir.resolve(args[i]).toString() : args[i]);
      }
      a.addAll(List.of("-storepass", PASSWORD));
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      try (java.io.PrintStream ps = new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8)) {
        Object r = IN_PROCESS.invoke(IN_PROCESS.getDeclaringClass().getDeclaredConstructor().newInstance(),
            a.toArray(String[]::new), ps);
        if (r instanceof Integer code && code != 0) {
          throw new IOException("keytool " + String.join(" ", args) + " failed (" + code + "): " + out);
        }
      } catch (ReflectiveOperationException e) {
        throw new IOException("keytool " + String.join(" ", args) + " failed: " + e.getCause() + " " + out, e);
      }
      return;
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("-storepass", PASSWORD));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException("keytool " + String.join(" ", args) + " failed: " + out);
    }
  }
}
