package dev.softmax.udf;

import static dev.softmax.udf.RowCheck.LOGITS;
import static dev.softmax.udf.RowCheck.VALUES;

import dev.softmax.udf.functions.CheckFunction;
import dev.softmax.udf.functions.CrossEntropyBackwardFunction;
import dev.softmax.udf.functions.CrossEntropyFunction;
import dev.softmax.udf.functions.KlDistillBackwardFunction;
import dev.softmax.udf.functions.KlDistillFunction;
import dev.softmax.udf.functions.LogSoftmaxBackwardFunction;
import dev.softmax.udf.functions.LogSoftmaxCheckedFunction;
import dev.softmax.udf.functions.LogSoftmaxFunction;
import dev.softmax.udf.functions.SoftmaxBackwardFromLogitsFunction;
import dev.softmax.udf.functions.SoftmaxBackwardFunction;
import dev.softmax.udf.functions.SoftmaxCheckedFunction;
import dev.softmax.udf.functions.SoftmaxEntropyFunction;
import dev.softmax.udf.functions.SoftmaxFunction;
import dev.softmax.udf.functions.SoftmaxJacobianFunction;
import dev.softmax.udf.functions.SoftmaxTopKFunction;
import dev.softmax.udf.kernel.Kernels;
import dev.softmax.udf.kernel.Losses;
import dev.softmax.udf.kernel.Temperature;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.functions;

/**
 * Every SQL function of the project, described once: its name, the function Spark binds, and the
 * row check each of its array arguments must pass. The catalog ({@link SoftmaxCatalog}), the plain
 * names ({@link SoftmaxExtensions}) and the batch job read it. A new function is one file (its
 * {@link UnboundFunction}) plus one line here.
 */
public enum SqlFunction {
  SOFTMAX(new SoftmaxFunction(), LOGITS),
  LOG_SOFTMAX(new LogSoftmaxFunction(), LOGITS),
  SOFTMAX_BACKWARD(new SoftmaxBackwardFunction(), VALUES, VALUES),
  SOFTMAX_BACKWARD_FROM_LOGITS(new SoftmaxBackwardFromLogitsFunction(), LOGITS, VALUES),
  LOG_SOFTMAX_BACKWARD(new LogSoftmaxBackwardFunction(), LOGITS, VALUES),
  SOFTMAX_JACOBIAN(new SoftmaxJacobianFunction(), VALUES),
  /** {@link #SOFTMAX} that fails the query on a bad row: it checks its own argument. */
  SOFTMAX_CHECKED(new SoftmaxCheckedFunction()),
  /** {@link #LOG_SOFTMAX} that fails the query on a bad row: it checks its own argument. */
  LOG_SOFTMAX_CHECKED(new LogSoftmaxCheckedFunction()),
  CROSS_ENTROPY(new CrossEntropyFunction(), LOGITS),
  CROSS_ENTROPY_BACKWARD(new CrossEntropyBackwardFunction(), LOGITS),
  KL_DISTILL(new KlDistillFunction(), LOGITS, LOGITS),
  KL_DISTILL_BACKWARD(new KlDistillBackwardFunction(), LOGITS, LOGITS),
  SOFTMAX_ENTROPY(new SoftmaxEntropyFunction(), LOGITS),
  SOFTMAX_TOPK(new SoftmaxTopKFunction(), LOGITS),
  CHECK_LOGITS(CheckFunction.logits()),
  CHECK_VALUES(CheckFunction.values());

  /** The temperature the functions take when none is given: T = 1, the plain softmax. */
  public static final double NO_TEMPERATURE = Temperature.NONE;

  /** The label that cross_entropy ignores when it is given none, as PyTorch's: -100. */
  public static final long DEFAULT_IGNORE_INDEX = Losses.DEFAULT_IGNORE_INDEX;

  private final UnboundFunction function;
  private final List<RowCheck> argumentChecks;

  SqlFunction(UnboundFunction function, RowCheck... argumentChecks) {
    this.function = function;
    this.argumentChecks = List.of(argumentChecks);
  }

  /** The name in SQL, after the catalog's name or alone: {@code softmax}. */
  public String sqlName() {
    return function.name();
  }

  /** What Spark binds to the arguments' types. */
  public UnboundFunction function() {
    return function;
  }

  /**
   * For each array argument, in order, the rules its rows must meet: none for the checks, and none
   * for the checked forms, which fail on a row that breaks them.
   */
  public List<RowCheck> argumentChecks() {
    return argumentChecks;
  }

  /**
   * The form of this function that checks its rows itself and fails the query on a bad one, with a
   * {@link RowProblemException} that says why (a batch job that stops on a bad row reads each row
   * once with it); empty when there is none.
   */
  public Optional<SqlFunction> checked() {
    return switch (this) {
      case SOFTMAX -> Optional.of(SOFTMAX_CHECKED);
      case LOG_SOFTMAX -> Optional.of(LOG_SOFTMAX_CHECKED);
      default -> Optional.empty();
    };
  }

  /**
   * For a function of two arrays (cross_entropy's target form among them): null when the row's two
   * arrays have the same length, else {@link RowProblem#LENGTH_MISMATCH} (the rule the kernels
   * enforce, as a row check).
   */
  public Column lengthProblem(Column first, Column second) {
    if (argumentChecks.size() != 2 && !takesLabel()) {
      throw new IllegalStateException(sqlName() + " does not take two arrays");
    }
    return functions.when(
        functions.size(first).notEqual(functions.size(second)),
        functions.lit(RowProblem.LENGTH_MISMATCH.reason()));
  }

  /**
   * For {@link #CROSS_ENTROPY} and {@link #CROSS_ENTROPY_BACKWARD} called with target
   * probabilities, {@code (logits, target_probs)}: the rules the rows of those two arrays must meet
   * ({@link #argumentChecks()} describes the label form, whose one array is the logits).
   */
  public List<RowCheck> targetProbsChecks() {
    if (!takesLabel()) {
      throw new IllegalStateException(sqlName() + " takes no target probabilities");
    }
    return List.of(LOGITS, VALUES);
  }

  /**
   * For {@link #CROSS_ENTROPY} and {@link #CROSS_ENTROPY_BACKWARD} called with a label, on a row
   * whose logits pass their check: null when the label is a class of the row, in [0, L), or {@code
   * ignoreIndex}; else {@link RowProblem#NULL_LABEL} (the function gives null) or {@link
   * RowProblem#LABEL_OUT_OF_RANGE} (the function fails the query), as a row check.
   */
  public Column labelProblem(Column logits, Column label, long ignoreIndex) {
    if (!takesLabel()) {
      throw new IllegalStateException(sqlName() + " takes no label");
    }
    return functions
        .when(label.isNull(), functions.lit(RowProblem.NULL_LABEL.reason()))
        .when(
            label.notEqual(ignoreIndex).and(label.lt(0).or(label.geq(functions.size(logits)))),
            functions.lit(RowProblem.LABEL_OUT_OF_RANGE.reason()));
  }

  private boolean takesLabel() {
    return this == CROSS_ENTROPY || this == CROSS_ENTROPY_BACKWARD;
  }

  /** The name with the catalog's: {@code nn.softmax}. */
  public String qualifiedName() {
    return SoftmaxCatalog.DEFAULT_NAME + "." + sqlName();
  }

  /** A call of this function through the {@value SoftmaxCatalog#DEFAULT_NAME} catalog. */
  public Column call(Column... args) {
    return functions.call_function(qualifiedName(), args);
  }

  /**
   * {@code t} if the functions take it as a temperature; else the exception and message they give.
   */
  public static double checkTemperature(double t) {
    return Temperature.check(t);
  }

  /** The kernel the functions run in this JVM (Vector API or scalar), as a short description. */
  public static String kernel() {
    return Kernels.name();
  }

  /** The function of this SQL name, in any case. */
  public static Optional<SqlFunction> named(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(f -> f.sqlName().equals(lower)).findFirst();
  }
}
