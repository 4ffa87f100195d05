package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launchers' class archive (scripts/common.sh, archived_java), on a tiny program in a jar of
 * its own: the first run that succeeds saves one, later runs map it, and no failure, interruption
 * or rebuild leaves one that is wrong, half written, or in the way. A run's exit status is its own.
 */
@Tag(JobProcess.TAG)
class ClassArchiveTest {
  private static final Path ROOT = JobProcess.ROOT;

  @TempDir Path dir;
  Path jar;
  Path archives;

  @BeforeEach
  void probeJar() throws IOException {
    jar = dir.resolve("probe.jar");
    archives = dir.resolve("archives");
    writeProbeJar("");
  }

  @Test
  void theFirstRunThatSucceedsSavesAnArchiveThatLaterRunsMap() throws Exception {
    Run first = run();
    assertThat(first.status()).as(first.output()).isZero();
    assertThat(first.output()).contains("probe ran", "saving the classes this run loaded");
    assertThat(files())
        .as("one archive, nothing unfinished")
        .singleElement()
        .asString()
        .endsWith(".jsa");

    Run second = run("-Xlog:class+load=info");
    assertThat(second.status()).as(second.output()).isZero();
    assertThat(second.output())
        .contains("dev.softmax.job.ArchiveProbe source: shared objects file")
        .doesNotContain("saving the classes");
    assertThat(run("4").status()).as("the run's own status, archive mapped").isEqualTo(4);
  }

  @Test
  void anAgentWatchingClassLoadingRunsWithTheArchive() throws Exception {
    assertThat(run().status()).isZero();
    Path recording = dir.resolve("probe.jfr");
    // JFR's class-loading hook: JDK 17 crashed on the method-handle classes it regenerates into an
    // archive
    Run watched = run(List.of("JAVA_TOOL_OPTIONS=-XX:StartFlightRecording=filename=" + recording));
    assertThat(watched.status()).as(watched.output()).isZero();
    assertThat(watched.output()).contains("probe ran: 10");
    assertThat(recording).isNotEmptyFile();
  }

  @Test
  void aRunThatFailsLeavesNoArchiveAndKeepsItsStatus() throws Exception {
    Run failed = run("3");
    assertThat(failed.status()).isEqualTo(3);
    assertThat(failed.output()).contains("probe ran").doesNotContain("saving the classes");
    assertThat(files()).isEmpty();
    assertThat(run().status()).isZero();
    assertThat(files()).hasSize(1);
  }

  @Test
  void aRebuiltJarGetsANewArchiveAndTheOldOneGoes() throws Exception {
    assertThat(run().status()).isZero();
    List<String> before = files();
    writeProbeJar("rebuilt");
    Run rebuilt = run();
    assertThat(rebuilt.status()).as(rebuilt.output()).isZero();
    assertThat(rebuilt.output()).contains("saving the classes");
    assertThat(files()).singleElement().isNotIn(before);
  }

  @Test
  void aJarRebuiltAtTheSameSizeWithinTheSameMinuteGetsANewArchive() throws Exception {
    // the time ls shows (to the minute) and the size stay; the JDK sees the jar's exact time change
    FileTime minute = FileTime.from(Instant.now().truncatedTo(ChronoUnit.MINUTES));
    writeProbeJar("first");
    Files.setLastModifiedTime(jar, minute);
    assertThat(run().status()).isZero();
    List<String> before = files();
    long size = Files.size(jar);
    writeProbeJar("other");
    Files.setLastModifiedTime(jar, FileTime.from(minute.toInstant().plusSeconds(30)));
    assertThat(Files.size(jar)).as("the same size").isEqualTo(size);
    Run rebuilt = run("-Xlog:class+load=info");
    assertThat(rebuilt.status()).as(rebuilt.output()).isZero();
    assertThat(rebuilt.output()).contains("saving the classes");
    assertThat(files()).singleElement().isNotIn(before);
    Run mapped = run("-Xlog:class+load=info");
    assertThat(mapped.output())
        .contains("dev.softmax.job.ArchiveProbe source: shared objects file")
        .doesNotContain("saving the classes");
  }

  @Test
  void unfinishedFilesOfRunsThatAreGoneAreRemovedAndThoseOfLiveRunsKept() throws Exception {
    Files.createDirectories(archives);
    // pid 2^22 + 1 is above Linux's largest; this JVM's own pid is a run that is alive
    Path dead = Files.createFile(archives.resolve("probe-1.jsa.4194305.classes"));
    Path live = Files.createFile(archives.resolve("probe-1.jsa." + ProcessHandle.current().pid()));
    assertThat(run().status()).isZero();
    assertThat(dead).doesNotExist();
    assertThat(live).exists();
  }

  @Test
  void offMeansNoArchive() throws Exception {
    Run off = run(List.of("SOFTMAX_CLASS_ARCHIVE=off"));
    assertThat(off.status()).isZero();
    assertThat(off.output()).contains("probe ran").doesNotContain("saving the classes");
    assertThat(archives).doesNotExist();
  }

  private record Run(int status, String output) {}

  private Run run(String... jvmOptionsThenStatus) throws Exception {
    return run(List.of(), jvmOptionsThenStatus);
  }

  /**
   * archived_java on the probe jar: JVM options (those starting with -), then the probe's exit
   * status.
   */
  private Run run(List<String> env, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                "bash",
                "-c",
                "source \"$0\" && archived_java probe \"$PROBE_JAR\" \"$@\"",
                ROOT.resolve("scripts/common.sh").toString()));
    List<String> program = new ArrayList<>();
    for (String a : args) {
      (a.startsWith("-") ? command : program).add(a);
    }
    command.add(ArchiveProbe.class.getName());
    command.addAll(program);
    Path log = Files.createTempFile(dir, "run", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("PROBE_JAR", jar.toString());
    pb.environment().put("SOFTMAX_CLASS_ARCHIVE_DIR", archives.toString());
    pb.environment().put("SOFTMAX_LOG_DIR", dir.resolve("logs").toString());
    pb.environment().remove("SOFTMAX_CLASS_ARCHIVE");
    for (String e : env) {
      pb.environment().put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
    }
    JobProcess p = new JobProcess(pb.start(), log);
    return new Run(p.await(), p.output());
  }

  private List<String> files() throws IOException {
    if (!Files.exists(archives)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(archives)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /**
   * The probe's class in a jar (the JDK archives classes from jars only); {@code note} changes its
   * size.
   */
  private void writeProbeJar(String note) throws IOException {
    String entry = ArchiveProbe.class.getName().replace('.', '/') + ".class";
    Path tmp = dir.resolve("probe.jar.tmp");
    try (OutputStream out = Files.newOutputStream(tmp);
        JarOutputStream jarOut = new JarOutputStream(out);
        InputStream in = ArchiveProbe.class.getClassLoader().getResourceAsStream(entry)) {
      jarOut.putNextEntry(new JarEntry(entry));
      in.transferTo(jarOut);
      jarOut.closeEntry();
      if (!note.isEmpty()) {
        jarOut.putNextEntry(new JarEntry("note.txt"));
        jarOut.write(note.getBytes(StandardCharsets.UTF_8));
        jarOut.closeEntry();
      }
    }
    Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING);
  }
}
