package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JacobianTest {
  @Test
  void entriesAreDiagSMinusSSTranspose() {
    double[][] j = Jacobian.of(new double[] {0.25, 0.75});
    assertThat(j[0]).containsExactly(0.1875, -0.1875);
    assertThat(j[1]).containsExactly(-0.1875, 0.1875);
  }

  @Test
  void floatEntriesAreRoundedOnce() {
    float[][] j = Jacobian.of(new float[] {0.5f, 0.5f});
    assertThat(j[0]).containsExactly(0.25f, -0.25f);
    assertThat(j[1]).containsExactly(-0.25f, 0.25f);
  }

  @Test
  void transposeTimesIsTheMatrixProduct() {
    double[][] j = {{1, 2}, {3, 4}};
    // J^T g with g = (1, 10): (1 + 30, 2 + 40)
    assertThat(Jacobian.transposeTimes(j, new double[] {1, 10})).containsExactly(31.0, 42.0);
  }

  @Test
  void rowsWiderThanTheLimitAreRefused() {
    assertThatThrownBy(() -> Jacobian.of(new double[Jacobian.MAX_WIDTH + 1]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "row has 4097 elements; the explicit Jacobian is limited to 4096"
                + " (use softmax_backward for J^T g in O(L))");
    assertThat(Jacobian.of(new float[Jacobian.MAX_WIDTH])).hasNumberOfRows(Jacobian.MAX_WIDTH);
  }
}
