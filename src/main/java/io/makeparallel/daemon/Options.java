package io.makeparallel.daemon;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} pairs of the daemon's command line. Static; thread-safe. */
final class Options {
  private Options() {}

  /**
   * The options as a map; {@code socket}, {@code key} and {@code lib} are required.
   *
   * @throws IllegalArgumentException naming the bad or missing option
   */
  static Map<String, String> parse(String[] args) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("daemon option '" + args[i] + "' needs --name value");
      }
      out.put(args[i].substring(2), args[i + 1]);
    }
    for (String required : new String[] {"socket", "key", "lib"}) {
      if (!out.containsKey(required)) {
        throw new IllegalArgumentException("daemon option --" + required + " is missing");
      }
    }
    return out;
  }
}
