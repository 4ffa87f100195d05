package dev.softmax.job;

import java.util.List;
import picocli.CommandLine.Option;

/** Options every subcommand that writes a dataset takes. */
final class CommonOptions {
  @Option(names = "--mode", paramLabel = "error|overwrite",
      description = "When the output exists: refuse (error) or replace it after a successful run"
          + " (overwrite). Default: ${DEFAULT-VALUE}.")
  WriteMode mode = WriteMode.error;

  @Option(names = "--on-bad-row", paramLabel = "fail|skip|quarantine",
      description = "Rows that cannot be computed: stop the run (fail), drop and count them (skip),"
          + " or write them with an error column to the quarantine path. Default: ${DEFAULT-VALUE}.")
  BadRowPolicy onBadRow = BadRowPolicy.fail;

  @Option(names = "--quarantine", paramLabel = "PATH",
      description = "Where quarantined rows go. Default: <output>.quarantine beside the output.")
  String quarantine;

  @Option(names = "--partition-by", split = ",", paramLabel = "COL[,COL...]",
      description = "Partition the output by these columns. Default: the input's partition columns.")
  List<String> partitionBy;

}
