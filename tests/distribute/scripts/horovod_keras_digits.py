"""Horovod's Keras example (examples/keras/keras_mnist.py and its TF2 sibling's callbacks), with
only the imports changed to numdeep and the bundled 8x8 digits in place of a MNIST download.

Run: mpiexec -n 2 python horovod_keras_digits.py OUT_DIR
"""

import math
import sys

import numdeep as keras  # was: import keras
import numdeep.distribute.horovod as hvd  # was: import horovod.keras as hvd
from numdeep import backend as K  # was: from keras import backend as K
from numdeep.datasets import digits  # was: from keras.datasets import mnist
from numdeep.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from numdeep.models import Sequential


def main(out_dir):
    # Horovod: initialize Horovod.
    hvd.init()

    batch_size = 32
    num_classes = 10

    # Horovod: adjust number of epochs based on number of GPUs.
    epochs = int(math.ceil(6.0 / hvd.size()))

    # Input image dimensions
    img_rows, img_cols = 8, 8

    # The data, shuffled and split between train and test sets
    (x_train, y_train), (x_test, y_test) = digits.load_data()

    # Horovod: each worker trains on its own shard.
    x_train, y_train = x_train[hvd.rank()::hvd.size()], y_train[hvd.rank()::hvd.size()]

    if K.image_data_format() == "channels_first":
        x_train = x_train.reshape(x_train.shape[0], 1, img_rows, img_cols)
        x_test = x_test.reshape(x_test.shape[0], 1, img_rows, img_cols)
        input_shape = (1, img_rows, img_cols)
    else:
        x_train = x_train.reshape(x_train.shape[0], img_rows, img_cols, 1)
        x_test = x_test.reshape(x_test.shape[0], img_rows, img_cols, 1)
        input_shape = (img_rows, img_cols, 1)

    x_train = x_train.astype("float32")
    x_test = x_test.astype("float32")
    x_train /= 16
    x_test /= 16

    # Convert class vectors to binary class matrices
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = Sequential()
    model.add(Conv2D(16, kernel_size=(3, 3), activation="relu", input_shape=input_shape))
    model.add(Conv2D(32, (3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(64, activation="relu"))
    model.add(Dropout(0.5))
    model.add(Dense(num_classes, activation="softmax"))

    # Horovod: adjust learning rate based on number of GPUs.
    scaled_lr = 0.002 * hvd.size()
    opt = keras.optimizers.Adam(scaled_lr)

    # Horovod: add Horovod Distributed Optimizer.
    opt = hvd.DistributedOptimizer(opt, backward_passes_per_step=1,
                                   average_aggregated_gradients=True)

    model.compile(loss=keras.losses.categorical_crossentropy, optimizer=opt,
                  metrics=["accuracy"])

    callbacks = [
        # Horovod: broadcast initial variable states from rank 0 to all other processes.
        hvd.callbacks.BroadcastGlobalVariablesCallback(0),
        # Horovod: average metrics among workers at the end of every epoch.
        hvd.callbacks.MetricAverageCallback(),
        # Horovod: using `lr = 1.0 * hvd.size()` from the very beginning leads to worse final
        # accuracy. Scale the learning rate `lr = 1.0` ---> `lr = 1.0 * hvd.size()` during
        # the first epoch.
        hvd.callbacks.LearningRateWarmupCallback(initial_lr=scaled_lr, warmup_epochs=1,
                                                 verbose=1),
    ]

    # Horovod: save checkpoints only on worker 0 to prevent other workers from corrupting them.
    if hvd.rank() == 0:
        callbacks.append(keras.callbacks.ModelCheckpoint(out_dir + "/checkpoint-{epoch}.h5"))

    model.fit(x_train, y_train, batch_size=batch_size, callbacks=callbacks, epochs=epochs,
              verbose=1 if hvd.rank() == 0 else 0, validation_data=(x_test, y_test))
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    # Not in Horovod's script: what the test compares across ranks, written on its own (one
    # small write that mpiexec forwards whole, never cut by another rank's output).
    sys.stdout.flush()
    print(f"rank {hvd.rank()} weights {keras.distribute.weights_digest(model)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
