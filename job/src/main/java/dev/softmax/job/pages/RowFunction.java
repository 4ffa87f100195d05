package dev.softmax.job.pages;

import dev.softmax.udf.RowProblem;
import dev.softmax.udf.RowProblemException;
import dev.softmax.udf.SqlFunction;
import dev.softmax.udf.kernel.Maximum;
import dev.softmax.udf.kernel.Softmax;
import dev.softmax.udf.kernel.SoftmaxBackward;
import dev.softmax.udf.kernel.Temperature;
import java.io.Serializable;
import java.util.List;

/**
 * What the page path computes from each row, and where: {@code function} at {@code temperature} of
 * the list columns {@code inputs} (the logits; for the backward from logits, then the gradients),
 * into column {@code output}. A row is checked by the rules the run's row path checks it by (the
 * logits as {@code nn.check_logits}, the gradients as {@code nn.check_values}, their lengths equal)
 * and computed by the kernel the SQL function calls, so a good row gets that function's bits and a
 * bad one fails with a {@link RowProblemException} that says why.
 */
public record RowFunction(
    SqlFunction function, double temperature, List<String> inputs, String output)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public RowFunction {
    int arity =
        switch (function) {
          case SOFTMAX, LOG_SOFTMAX -> 1;
          case SOFTMAX_BACKWARD_FROM_LOGITS -> 2;
          default ->
              throw new IllegalArgumentException(
                  "the page path computes softmax, log_softmax or softmax_backward_from_logits");
        };
    if (inputs.size() != arity) {
      throw new IllegalArgumentException(function.sqlName() + " takes " + arity + " list columns");
    }
    inputs = List.copyOf(inputs);
    Temperature.check(temperature);
  }

  /**
   * A failure as the checked form (or the function) would give it, for a row with {@code problem}.
   */
  RowProblemException refuse(RowProblem problem) {
    return new RowProblemException(function.checked().orElse(function).qualifiedName(), problem);
  }

  private void requireGood(RowProblem problem) {
    if (problem != null) {
      throw refuse(problem);
    }
  }

  /** The outputs of a float row of logits {@code z} (whose shape is good) into {@code out}. */
  void apply(float[] z, float[] out) {
    requireGood(RowProblem.ofLogitsMaximum(Maximum.of(z)));
    if (function == SqlFunction.SOFTMAX) {
      Softmax.forward(z, temperature, out);
    } else {
      Softmax.logForward(z, temperature, out);
    }
  }

  /** The outputs of a double row of logits {@code z} (whose shape is good) into {@code out}. */
  void apply(double[] z, double[] out) {
    requireGood(RowProblem.ofLogitsMaximum(Maximum.of(z)));
    if (function == SqlFunction.SOFTMAX) {
      Softmax.forward(z, temperature, out);
    } else {
      Softmax.logForward(z, temperature, out);
    }
  }

  /**
   * The gradient from float logits {@code z} and gradients {@code g} (shapes good) into {@code
   * out}.
   */
  void apply(float[] z, float[] g, float[] out) {
    requireGood(RowProblem.ofLogitsMaximum(Maximum.of(z)));
    requireGood(RowProblem.ofValuesMagnitude(Maximum.magnitude(g)));
    requireGood(z.length == g.length ? null : RowProblem.LENGTH_MISMATCH);
    SoftmaxBackward.fromLogits(z, g, temperature, out);
  }

  /**
   * The gradient from double logits {@code z} and gradients {@code g} (shapes good) into {@code
   * out}.
   */
  void apply(double[] z, double[] g, double[] out) {
    requireGood(RowProblem.ofLogitsMaximum(Maximum.of(z)));
    requireGood(RowProblem.ofValuesMagnitude(Maximum.magnitude(g)));
    requireGood(z.length == g.length ? null : RowProblem.LENGTH_MISMATCH);
    SoftmaxBackward.fromLogits(z, g, temperature, out);
  }
}
