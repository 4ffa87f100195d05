package dev.softmax.job;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which run a staging directory, a set-aside output or a publish lock belongs to: a random id, the
 * driver's process id and host. It is written into their names, so that a later run can tell the
 * leftovers of a dead run on this host (safe to clean up) from the work of a live one.
 */
record RunOwner(String id, long pid, String host) {
  private static final Pattern TEXT = Pattern.compile("([0-9a-f]{8})-(\\d+)-([A-Za-z0-9-]+)");

  /** This process's run: a new id. */
  static RunOwner current() {
    return new RunOwner(
        UUID.randomUUID().toString().substring(0, 8), ProcessHandle.current().pid(), thisHost());
  }

  /** The owner written at the end of a leftover's name or in a lock, if it is one. */
  static Optional<RunOwner> parse(String text) {
    Matcher m = TEXT.matcher(text.strip());
    return m.matches()
        ? Optional.of(new RunOwner(m.group(1), Long.parseLong(m.group(2)), m.group(3)))
        : Optional.empty();
  }

  /** True only when the run certainly ended: it ran on this host and its process is gone. */
  boolean isDead() {
    return host.equals(thisHost()) && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
  }

  @Override
  public String toString() {
    return id + "-" + pid + "-" + host;
  }

  private static String thisHost() {
    try {
      return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9-]", "-");
    } catch (UnknownHostException e) {
      return "unknown-host";
    }
  }
}
