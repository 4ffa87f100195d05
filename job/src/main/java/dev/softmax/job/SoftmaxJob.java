package dev.softmax.job;

import java.io.File;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The batch job's entry point: {@code forward}, {@code backward}, {@code loss} and {@code
 * generate}. Exit status 0 on success, 1 when the run failed (a bad row under {@code --on-bad-row
 * fail}, a Spark failure; one console line, the stack trace in a log file it names), 2 for a wrong
 * command line, path or column, or an output another run published first; 130 or 143 when SIGINT or
 * SIGTERM stopped the run (nothing published, staging removed).
 *
 * <p>Option defaults can come from a properties file (conf/job.properties) named by the system
 * property {@code softmax.job.defaults}; flags on the command line win.
 */
@Command(
    name = "softmax",
    mixinStandardHelpOptions = true,
    versionProvider = SoftmaxJob.Version.class,
    description =
        "Softmax forward and backward passes, and training losses, over partitioned Parquet"
            + " datasets.",
    subcommands = {
      ForwardCommand.class,
      BackwardCommand.class,
      LossCommand.class,
      GenerateCommand.class
    })
public final class SoftmaxJob {
  /** The system property naming the defaults file. */
  public static final String DEFAULTS_PROPERTY = "softmax.job.defaults";

  private SoftmaxJob() {}

  public static void main(String[] args) {
    int status = run(args);
    SparkSession.getActiveSession()
        .foreach(
            s -> {
              s.stop();
              return null;
            });
    // in YARN's cluster deploy mode main runs in the application master, which reports the final
    // status once main returns: an exit before that, even System.exit(0), fails the attempt
    if (status == 0 && "cluster".equals(System.getProperty("spark.submit.deployMode"))) {
      return;
    }
    System.exit(status);
  }

  /** Runs one command line and returns its exit status; never exits the JVM. */
  public static int run(String... args) {
    return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /** Runs one command line, printing to {@code out} and {@code err}; returns the exit status. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new SoftmaxJob()).setOut(out).setErr(err);
    String defaults = System.getProperty(DEFAULTS_PROPERTY);
    if (defaults != null) {
      File file = new File(defaults);
      if (!file.canRead()) {
        err.println(
            "softmax: cannot read the defaults file " + file + " (" + DEFAULTS_PROPERTY + ")");
        err.flush();
        return 2;
      }
      cli.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(file));
    }
    cli.setParameterExceptionHandler(
        (e, args2) -> {
          CommandLine at = e.getCommandLine();
          err.println(
              at.getCommandSpec().qualifiedName()
                  + ": "
                  + e.getMessage()
                  + " (see "
                  + at.getCommandSpec().qualifiedName()
                  + " --help)");
          err.flush();
          return 2;
        });
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof UsageException) {
            err.println("softmax " + commandLine.getCommandName() + ": " + e.getMessage());
            err.flush();
            return 2;
          }
          if (e instanceof BadRowException) {
            err.println(e.getMessage());
            err.flush();
            return 1;
          }
          if (e instanceof RunGuard.Aborted) {
            // stopped by a signal: the shutdown hook has said so, and the JVM exits with 128 +
            // signal
            return 1;
          }
          Path log = FailureReport.writeTrace(commandLine.getCommandName(), e);
          err.println(
              "softmax "
                  + commandLine.getCommandName()
                  + " failed: "
                  + FailureReport.describe(e)
                  + (log == null ? "" : " (stack trace in " + log + ")"));
          err.flush();
          return 1;
        });
    return cli.execute(args);
  }

  /** The version from the application jar's manifest, which Maven writes from the pom. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = SoftmaxJob.class.getPackage().getImplementationVersion();
      return new String[] {"spark-softmax " + (v != null ? v : "(development build)")};
    }
  }
}
