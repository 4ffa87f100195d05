package dev.softmax.job;

/** A tiny program for {@link ClassArchiveTest}: says it ran, and exits with the status it is given. */
public final class ArchiveProbe {
  private ArchiveProbe() {}

  public static void main(String[] args) {
    System.out.println("probe ran");
    System.exit(args.length > 0 ? Integer.parseInt(args[0]) : 0);
  }
}
