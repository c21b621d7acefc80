"""fuse_modules: replace a run of modules (conv, bn, relu / linear, relu ...) by one fused module, the
others by nn.Identity, so that quantization treats the run as one layer. In eval mode a batch norm is
folded into the conv's weight and bias (nn.utils.fusion); for QAT (fuse_modules_qat) it is kept, in a
ConvBn2d that prepare_qat turns into the training-time folding of nn.intrinsic.qat.ConvBn2d."""
import copy

from ... import nn
from ...nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval
from ..nn import intrinsic as nni

__all__ = ["fuse_conv_bn", "fuse_conv_bn_relu", "fuse_linear_bn", "get_fuser_method", "fuse_known_modules",
           "fuse_modules", "fuse_modules_qat"]


def _check_bn(bn, out, what):
    if bn.num_features != out:
        raise AssertionError(f"Output channel of {what} must match num_features of {type(bn).__name__}")
    if not bn.affine:
        raise AssertionError(f"Only support fusing {type(bn).__name__} with affine set to True")
    if not bn.track_running_stats:
        raise AssertionError(f"Only support fusing {type(bn).__name__} with tracking_running_stats set to True")


def fuse_conv_bn(is_qat, conv, bn):
    """QAT: nni.ConvBn2d(conv, bn); otherwise the conv with the batch norm folded in."""
    if conv.training != bn.training:
        raise AssertionError("Conv and BN both must be in the same mode (train or eval).")
    if not is_qat:
        return fuse_conv_bn_eval(conv, bn)
    _check_bn(bn, conv.out_channels, "Conv2d")
    return nni.ConvBn2d(conv, bn)


def fuse_conv_bn_relu(is_qat, conv, bn, relu):
    """QAT: nni.ConvBnReLU2d(conv, bn, relu); otherwise ConvReLU2d(folded conv, relu)."""
    if not conv.training == bn.training == relu.training:
        raise AssertionError("Conv and BN both must be in the same mode (train or eval).")
    if not is_qat:
        return nni.ConvReLU2d(fuse_conv_bn_eval(conv, bn), relu)
    _check_bn(bn, conv.out_channels, "Conv2d")
    return nni.ConvBnReLU2d(conv, bn, relu)


def fuse_linear_bn(is_qat, linear, bn):
    """QAT: nni.LinearBn1d(linear, bn); otherwise the linear with the batch norm folded in."""
    if linear.training != bn.training:
        raise AssertionError("Linear and BN both must be in the same mode (train or eval).")
    if not is_qat:
        return fuse_linear_bn_eval(linear, bn)
    _check_bn(bn, linear.out_features, "Linear")
    return nni.LinearBn1d(linear, bn)


def _sequential(cls):
    """A fuser method that wraps two modules in the fused container `cls`."""
    return lambda is_qat, first, second: cls(first, second)


DEFAULT_OP_LIST_TO_FUSER_METHOD = {
    (nn.Conv2d, nn.BatchNorm2d): fuse_conv_bn,
    (nn.Conv2d, nn.BatchNorm2d, nn.ReLU): fuse_conv_bn_relu,
    (nn.Conv2d, nn.ReLU): _sequential(nni.ConvReLU2d),
    (nn.Linear, nn.BatchNorm1d): fuse_linear_bn,
    (nn.Linear, nn.ReLU): _sequential(nni.LinearReLU),
    (nn.BatchNorm2d, nn.ReLU): _sequential(nni.BNReLU2d),
}


def get_fuser_method(op_list, additional_fuser_method_mapping=None):
    """The function that fuses modules of the types `op_list` (a tuple of classes)."""
    mapping = {**DEFAULT_OP_LIST_TO_FUSER_METHOD, **(additional_fuser_method_mapping or {})}
    fuser = mapping.get(op_list)
    if fuser is None:
        raise AssertionError(f"did not find fuser method for: {op_list} ")
    return fuser


def fuse_known_modules(mod_list, is_qat, additional_fuser_method_mapping=None):
    """[fused, Identity, ...] for a list of modules; the first module's forward pre-hooks and the last
    one's forward hooks move to the fused module."""
    fuser = get_fuser_method(tuple(type(m) for m in mod_list), additional_fuser_method_mapping)
    fused = fuser(is_qat, *mod_list)
    for hook in mod_list[0]._forward_pre_hooks.values():
        fused.register_forward_pre_hook(hook)
    mod_list[0]._forward_pre_hooks.clear()
    for hook in mod_list[-1]._forward_hooks.values():
        fused.register_forward_hook(hook)
    mod_list[-1]._forward_hooks.clear()
    rest = []
    for _ in mod_list[1:]:
        identity = nn.Identity()
        identity.training = mod_list[0].training
        rest.append(identity)
    return [fused] + rest


def _fuse(model, modules_to_fuse, is_qat, inplace, fuser_func, fuse_custom_config_dict):
    if not inplace:
        model = copy.deepcopy(model)
    groups = [modules_to_fuse] if all(isinstance(m, str) for m in modules_to_fuse) else modules_to_fuse
    extra = (fuse_custom_config_dict or {}).get("additional_fuser_method_mapping", {})
    for names in groups:
        new_modules = fuser_func([model.get_submodule(name) for name in names], is_qat, extra)
        for name, module in zip(names, new_modules):
            parent, _, leaf = name.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, leaf, module)
    return model


def fuse_modules(model, modules_to_fuse, inplace=False, fuser_func=fuse_known_modules, fuse_custom_config_dict=None):
    """Fuse each list of submodule names in `modules_to_fuse` (or the one list, if it holds names):
    conv+bn, conv+bn+relu, conv+relu, linear+bn, linear+relu, bn+relu. The model must be in eval mode for
    a batch norm to be folded. Returns a fused copy unless inplace."""
    return _fuse(model, modules_to_fuse, False, inplace, fuser_func, fuse_custom_config_dict)


def fuse_modules_qat(model, modules_to_fuse, inplace=False, fuser_func=fuse_known_modules,
                     fuse_custom_config_dict=None):
    """fuse_modules for quantization-aware training: batch norms stay (ConvBn2d ...)."""
    return _fuse(model, modules_to_fuse, True, inplace, fuser_func, fuse_custom_config_dict)
