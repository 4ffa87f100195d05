package dev.softmax.udf.bench;

import dev.softmax.udf.kernel.Losses;
import dev.softmax.udf.kernel.Softmax;
import dev.softmax.udf.kernel.SoftmaxBackward;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH: one row through each kernel, float and double, L = 16 to 65,536. Scores are ns per row;
 * {@link KernelBench} divides by L. Run with scripts/bench.sh (it adds the JVM options).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class KernelBenchmark {
  // the loss mode of KernelBench also runs L = 262,144
  @Param({"16", "256", "4096", "65536"})
  public int width;

  private float[] zf;
  private float[] gf;
  private float[] sf;
  private float[] yf;
  private float[] outF;
  private double[] zd;
  private double[] gd;
  private double[] sd;
  private double[] yd;
  private double[] outD;
  private final int[] topIndex = new int[5];
  private final double[] topProb = new double[5];

  @Setup
  public void setUp() {
    Random r = new Random(width);
    zf = new float[width];
    gf = new float[width];
    zd = new double[width];
    gd = new double[width];
    for (int i = 0; i < width; i++) {
      zd[i] = 3 * r.nextGaussian();
      gd[i] = r.nextGaussian();
      zf[i] = (float) zd[i];
      gf[i] = (float) gd[i];
    }
    sf = new float[width];
    sd = new double[width];
    Softmax.forward(zf, 1.0, sf);
    Softmax.forward(zd, 1.0, sd);
    yf = new float[width];
    yd = new double[width];
    Softmax.logForward(zf, 1.0, yf);
    Softmax.logForward(zd, 1.0, yd);
    outF = new float[width];
    outD = new double[width];
  }

  @Benchmark
  public float[] forwardFloat() {
    Softmax.forward(zf, 1.0, outF);
    return outF;
  }

  @Benchmark
  public double[] forwardDouble() {
    Softmax.forward(zd, 1.0, outD);
    return outD;
  }

  @Benchmark
  public float[] logSoftmaxFloat() {
    Softmax.logForward(zf, 1.0, outF);
    return outF;
  }

  @Benchmark
  public double[] logSoftmaxDouble() {
    Softmax.logForward(zd, 1.0, outD);
    return outD;
  }

  @Benchmark
  public float[] backwardFloat() {
    SoftmaxBackward.fromProbs(sf, gf, 1.0, outF);
    return outF;
  }

  @Benchmark
  public double[] backwardDouble() {
    SoftmaxBackward.fromProbs(sd, gd, 1.0, outD);
    return outD;
  }

  @Benchmark
  public float[] backwardFromLogitsFloat() {
    SoftmaxBackward.fromLogits(zf, gf, 1.0, outF);
    return outF;
  }

  @Benchmark
  public double[] backwardFromLogitsDouble() {
    SoftmaxBackward.fromLogits(zd, gd, 1.0, outD);
    return outD;
  }

  @Benchmark
  public float[] logBackwardFloat() {
    SoftmaxBackward.fromLogProbs(yf, gf, 1.0, outF);
    return outF;
  }

  @Benchmark
  public double[] logBackwardDouble() {
    SoftmaxBackward.fromLogProbs(yd, gd, 1.0, outD);
    return outD;
  }

  @Benchmark
  public float crossEntropyFloat() {
    return Losses.crossEntropy(zf, width / 2, Losses.DEFAULT_IGNORE_INDEX, 0);
  }

  @Benchmark
  public double crossEntropyDouble() {
    return Losses.crossEntropy(zd, width / 2, Losses.DEFAULT_IGNORE_INDEX, 0);
  }

  @Benchmark
  public float[] crossEntropyBackwardFloat() {
    Losses.crossEntropyBackward(zf, width / 2, Losses.DEFAULT_IGNORE_INDEX, 0, 1, outF);
    return outF;
  }

  @Benchmark
  public double[] crossEntropyBackwardDouble() {
    Losses.crossEntropyBackward(zd, width / 2, Losses.DEFAULT_IGNORE_INDEX, 0, 1, outD);
    return outD;
  }

  @Benchmark
  public float entropyFloat() {
    return Losses.entropy(zf, 1.0);
  }

  @Benchmark
  public int topFiveFloat() {
    return Losses.topK(zf, 5, 1.0, topIndex, topProb);
  }
}
