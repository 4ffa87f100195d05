package dev.softmax.job.pages;

import dev.softmax.udf.RowProblem;
import dev.softmax.udf.RowProblemException;
import dev.softmax.udf.SqlFunction;
import dev.softmax.udf.kernel.Maximum;
import dev.softmax.udf.kernel.Softmax;
import dev.softmax.udf.kernel.Temperature;
import java.io.Serializable;

/**
 * What the page path computes from each row of one list column, and where: {@code function}
 * (softmax or log-softmax) at {@code temperature} of column {@code input}, into column {@code
 * output}. A row is checked as {@code nn.softmax_checked} checks it, with the same kernel after, so
 * a good row gets that function's bits and a bad one fails with the {@link RowProblemException} it
 * would throw.
 */
public record RowFunction(SqlFunction function, double temperature, String input, String output)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public RowFunction {
    if (function != SqlFunction.SOFTMAX && function != SqlFunction.LOG_SOFTMAX) {
      throw new IllegalArgumentException("the page path computes softmax or log_softmax only");
    }
    Temperature.check(temperature);
  }

  /** The checked form's name, which a bad row's failure starts with. */
  String checkedName() {
    return function.checked().orElseThrow().qualifiedName();
  }

  /** Fails as the checked form fails on a row of this shape problem. */
  RowProblemException refuse(RowProblem problem) {
    return new RowProblemException(checkedName(), problem);
  }

  /** The outputs of a float row {@code z} (whose shape is good) into {@code out}. */
  void apply(float[] z, float[] out) {
    RowProblem problem = RowProblem.ofLogitsMaximum(Maximum.of(z));
    if (problem != null) {
      throw refuse(problem);
    }
    if (function == SqlFunction.SOFTMAX) {
      Softmax.forward(z, temperature, out);
    } else {
      Softmax.logForward(z, temperature, out);
    }
  }

  /** The outputs of a double row {@code z} (whose shape is good) into {@code out}. */
  void apply(double[] z, double[] out) {
    RowProblem problem = RowProblem.ofLogitsMaximum(Maximum.of(z));
    if (problem != null) {
      throw refuse(problem);
    }
    if (function == SqlFunction.SOFTMAX) {
      Softmax.forward(z, temperature, out);
    } else {
      Softmax.logForward(z, temperature, out);
    }
  }
}
