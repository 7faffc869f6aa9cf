"""Vietnamese checker messages: every key of :data:`nst_helpers.checks.MESSAGES`, in Vietnamese.

Turn them on with ``nst.checks.set_language("vi")`` or ``NST_LANG=vi``. A plain table (no TensorFlow,
no imports), so that checks.py stays readable. The terms follow notebooks/vi/GLOSSARY.md ("tầng",
"ánh xạ đặc trưng", "ma trận Gram", "mất mát nội dung / phong cách", "biến thiên toàn phần", ...);
"bài gốc" is the seed, the Vietnamese blog post the series grew from. Code names (``tf.Tensor``,
``normalize=``, ``conv3_1``) and the ``{fields}`` stay as they are: tests/test_i18n.py checks that every
key is here with exactly the English fields.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # mọi hàm kiểm tra: đầu vào nào, kết luận, lỗi, kết quả không đọc được
    "where": "đầu vào {i}/{n} ({label})",
    "where_layers": "đầu vào {i}/{n} ({label}, layer_names={layers})",
    "where_start": "điểm xuất phát {i}/2 ({label}, {steps} bước)",
    "label": "{kind}, shape {shape}",
    "with_target": "{label} và đích",
    "with_gram_target": "{label} và một đích (C, C)",
    "in_tensor": "tf.Tensor ngẫu nhiên",
    "in_numpy": "mảng numpy ngẫu nhiên",
    "in_tensors": "các tf.Tensor ngẫu nhiên",
    "in_numpys": "các mảng numpy ngẫu nhiên",
    "in_two_tensors": "hai tf.Tensor ngẫu nhiên",
    "in_two_numpys": "hai mảng numpy ngẫu nhiên",
    "in_pixel": "một điểm ảnh duy nhất",
    "in_zeros": "toàn số 0",
    "in_relu": "không âm (như đầu ra của ReLU)",
    "in_identical": "hai ánh xạ giống hệt nhau (mất mát bằng 0)",
    "in_zeros_ones": "toàn 0 so với toàn 1",
    "in_same_style": "đúng ánh xạ của ảnh phong cách (mất mát bằng 0)",
    "in_zero_map": "ánh xạ toàn số 0",
    "in_flat": "ảnh xám phẳng (mất mát bằng 0)",
    "in_hstripes": "sọc ngang",
    "in_vstripes": "sọc dọc",
    "in_2x2": "ảnh nhỏ nhất, 2 x 2",
    "in_leaves": "một bước đi ra ngoài [0, 255]",
    "in_rgb_random": "một ảnh RGB ngẫu nhiên",
    "in_rgb_grey": "một ảnh xám phẳng",
    "in_rgb_orange": "một ảnh màu cam phẳng (R > G > B)",
    "in_tiny": "gradient rất nhỏ, bước 2",
    "start_photo": "xuất phát từ chính bức ảnh chụp",
    "start_noise": "điểm xuất phát của bài gốc, nhiễu 128 + U[0, 1)",
    "bad_normalize": "normalize={normalize!r}: hãy chọn một cách chuẩn hoá trong {choices}.",
    "norm_none": "không chuẩn hoá: tổng thuần trên mọi vị trí",
    "norm_hw": "chia cho H*W, số vị trí",
    "norm_chw": "chia cho C*H*W, số phần tử",
    "norm_paper": "chia cho 2*H*W",
    "raised": "hàm của bạn báo lỗi {kind}: {message}",
    "raised_at": "tại {where}",
    "line_of": "dòng {line} của {name}(): {code}",
    "not_callable": "hãy truyền chính hàm của bạn (không có dấu ngoặc), không phải một {kind}.",
    "shape_none": ("chưa có dự đoán: hãy viết dự đoán của bạn trước (ví dụ my_prediction = (chiều cao, "
                   "chiều rộng, 3)), rồi chạy lại ô kiểm tra này."),
    "shape_right": "✅ {title}: đúng rồi, shape là {actual}.",
    "shape_wrong": "bạn dự đoán {prediction}; shape là {actual}.",
    "shape_hint": ("shape là (chiều cao, chiều rộng, số kênh); với max_size, cạnh dài nhất trở thành max_size "
                   "và cạnh kia giữ nguyên tỉ lệ (làm tròn)."),
    "stopped_on": "dừng ở {where}.",
    "wrong_on": "sai ở {where}.",
    "cannot_check": "không kiểm tra được.",
    "hint": "Gợi ý: {hint}",
    "ok_exact": "✅ {title}: đúng trên cả {n} đầu vào (khớp tuyệt đối).",
    "ok_close": ("✅ {title}: đúng trên cả {n} đầu vào (gần khớp: sai khác tuyệt đối lớn nhất {max_abs:.2g}, sai "
                 "khác tương đối lớn nhất {max_rel:.2g}: chỉ là sai số làm tròn float32)."),
    "not_implemented": ("chưa viết xong: hãy thay `raise NotImplementedError` bằng code của bạn, chạy ô đó, rồi "
                        "chạy lại ô kiểm tra này."),
    "returned_none": "hàm của bạn trả về None: bạn có quên câu lệnh `return` không?",
    "returned_container": "hàm của bạn trả về một {kind}; hãy trả về một tensor duy nhất.",
    "unreadable": "không đọc được kết quả của bạn ({kind}) thành số: {error}",
    "numpy_input": ("đầu vào này là một mảng numpy, không phải tf.Tensor: hãy chuyển nó trước, ví dụ x = "
                    "tf.convert_to_tensor(x, tf.float32)."),
    "not_scalar": "mất mát là một con số, nhưng bạn trả về shape {shape}: hãy lấy tổng/trung bình trên mọi trục.",
    "nan_hint": ("kết quả của bạn có NaN hoặc inf. Chỉ chia cho kích thước (H, W, C), đừng bao giờ chia cho giá trị "
                 "tính từ dữ liệu, vì nó có thể bằng 0."),
    "axes_hint": "hãy kiểm tra lại bạn reshape và nhân theo những trục nào.",
    "formula_hint": "hãy so công thức của bạn với công thức trong bài ở trên, từng số hạng một.",
    "shape_differs": "shape đúng phải là {expected}, kết quả của bạn có shape {got}.",
    "has_nan": "kết quả của bạn có NaN hoặc inf.",
    "scalar_differs": "đúng phải là {expected:.6g}, bạn ra {got:.6g}.",
    "values_differ": ("giá trị khác nhau: sai khác tuyệt đối lớn nhất {max_abs:.3g}, sai khác tương đối lớn nhất "
                      "{max_rel:.3g}."),
    "extract_dict": ("bộ trích xuất của bạn trả về một dict; hãy trả về một list các tensor theo đúng thứ tự của "
                     "layer_names."),
    "extract_kind": "bộ trích xuất của bạn trả về một {kind}; hãy trả về một list tensor, mỗi tầng một tensor.",
    "extract_count": ("bộ trích xuất của bạn trả về {got} ánh xạ đặc trưng cho {n} tên tầng: mỗi tên phải có đúng "
                      "một ánh xạ."),
    "output_for": "đầu ra {index} (cho {layer!r}): {detail}",
    "also": " Ngoài ra: ",
    "extract_not_callable": ("hàm của bạn trả về một {kind}; nó phải trả về một hàm (hoặc một keras.Model) nhận "
                             "vào một ảnh."),
    # những lỗi hay gặp của các hàm kiểm tra từng hàm
    "seed_1": "bạn quên cắt giá trị về [0, 255]: điểm ảnh phải luôn là màu hợp lệ.",
    "seed_2": "bạn đi ngược lên theo gradient: hãy trừ gradient đi để đi xuống dốc.",
    "seed_3": ("bạn chia cho max|grad| (công thức đầu tiên của bài gốc); bước này chia cho std(grad)."),
    "seed_4": "bạn nhân với std(grad) thay vì chia cho nó.",
    "seed_5": ("bạn dùng gradient thô nhân với step_size: không chia cho std(grad) thì độ dài bước phụ thuộc vào "
               "thang đo của mất mát."),
    "seed_6": ("bạn dịch mọi điểm ảnh đúng bằng step_size (dấu của gradient); thay vào đó hãy nhân gradient với "
               "step_size / std(grad)."),
    "pre_mutates": ("hàm đã thay đổi đầu vào của nó: `image` phải giữ nguyên như cũ (đây là cái bẫy của hàm "
                    "tiền xử lý preprocess_input trong Keras); hãy tính trên một bản sao, ví dụ "
                    "`image[..., ::-1] - means` tạo ra một mảng mới."),
    "pre_1": "bạn đã trừ các giá trị trung bình nhưng vẫn giữ thứ tự RGB: hãy lật trục cuối trước (image[..., ::-1]).",
    "pre_2": "bạn đã lật RGB thành BGR nhưng chưa trừ các giá trị trung bình ImageNet (103.939, 116.779, 123.68).",
    "pre_3": ("bạn trừ các giá trị trung bình theo thứ tự RGB (123.68, 116.779, 103.939) sau khi lật: "
              "các giá trị trung bình được cho theo thứ tự B, G, R."),
    "pre_4": ("bạn đã đưa về 0-1 (chia cho 255): trọng số Caffe của VGG16 cần giá trị 0-255 trừ đi các giá trị "
              "trung bình."),
    "pre_5": "bạn đã cộng các giá trị trung bình: hãy trừ chúng đi.",
    "difference_1": ("bạn lấy tổng bình phương các hiệu; mất mát là trung bình của chúng (trung bình trên mọi "
                     "phần tử)."),
    "difference_2": "bạn lấy trung bình trị tuyệt đối của các hiệu (L1); hãy bình phương các hiệu.",
    "difference_3": ("bạn lấy trung bình các hiệu mà không bình phương, nên sai số dương và âm triệt tiêu nhau."),
    "difference_4": ("bạn lấy căn bậc hai (RMSE hoặc một chuẩn); mất mát là trung bình bình phương các hiệu, không "
                     "lấy căn."),
    "difference_6": ("bạn bình phương hiệu trung bình; hãy bình phương từng hiệu trước, rồi mới lấy trung bình."),
    "difference_7": "bạn chia đôi trung bình bình phương các hiệu; hãy bỏ hệ số 1/2.",
    "difference_8": ("đó là 1/2 * tổng bình phương của bài báo; ở đây mất mát là trung bình bình phương các hiệu "
                     "(không có 1/2, trung bình trên mọi phần tử)."),
    "difference_9": "bạn chỉ chia cho H*W; hãy lấy trung bình trên mọi phần tử, tính cả các kênh (H*W*C).",
    "tv_1": ("thiếu một hướng: bạn chỉ dùng hiệu theo chiều dọc (giữa các hàng); hãy thêm hiệu theo chiều ngang "
             "(giữa các cột)."),
    "tv_2": ("thiếu một hướng: bạn chỉ dùng hiệu theo chiều ngang (giữa các cột); hãy thêm hiệu theo chiều dọc "
             "(giữa các hàng)."),
    "tv_3": "bạn bình phương các hiệu; mất mát này dùng trị tuyệt đối của chúng (L1).",
    "tv_4": ("bạn lấy tổng trị tuyệt đối của các hiệu (như tf.image.total_variation); mất mát này lấy trung bình "
             "theo từng hướng."),
    "tv_5": ("bạn cộng cả hai hướng rồi chia một lần cho số điểm ảnh; hãy lấy trung bình riêng từng hướng, rồi "
             "cộng hai giá trị trung bình."),
    "tv_6": "bạn lấy trung bình của hai hướng; hãy cộng hai giá trị trung bình lại.",
    "tv_7": "bạn quên lấy trị tuyệt đối: hiệu dương và hiệu âm triệt tiêu nhau.",
    "tv_8": ("bạn coi ảnh là kênh-trước (1, 3, H, W): một số hiệu bị lấy giữa các kênh màu. Ảnh ở đây có dạng "
             "(1, H, W, 3): hàng là trục 1, cột là trục 2."),
    "tv_9": ("bạn lấy hiệu giữa các kênh màu (trục 3) thay vì giữa các cột (trục 2). Ảnh ở đây có dạng "
             "(1, H, W, 3)."),
    "gram_bbt": ("bạn tính B B^T (vị trí với vị trí, shape (H*W, H*W)). Ma trận Gram là B^T B: kênh với kênh, "
                 "shape (C, C)."),
    "gram_scrambled": ("reshape thẳng ánh xạ (1, H, W, C) thành (C, H*W) làm xáo trộn vị trí và kênh: reshape giữ "
                       "nguyên thứ tự trong bộ nhớ, nó không đổi chỗ các trục. Hãy reshape thành (H*W, C), rồi "
                       "tính B^T B."),
    "gram_channels_first": ("bạn lấy số kênh từ trục 1 (kênh-trước, kiểu (N, C, H, W) của PyTorch). Ánh xạ đặc "
                            "trưng của Keras là kênh-sau, (1, H, W, C): các kênh nằm ở trục cuối."),
    "gram_batch_kept": ("số đúng rồi, nhưng bạn giữ lại trục batch: hãy trả về shape (C, C), không phải (1, C, C) "
                        "(reshape thành (H*W, C) trước)."),
    "gram_diagonal": ("bạn chỉ tính đường chéo: B * B là phép nhân từng phần tử. Ma trận Gram cần phép nhân ma "
                      "trận B^T B."),
    "gram_norm": ("chuẩn hoá sai: ma trận Gram của bạn đang {yours}, nhưng bài tập này yêu cầu "
                  "normalize={asked!r} ({asked_words})."),
    "gram_by_c": ("chuẩn hoá sai: bạn chia cho số kênh C; bài tập này yêu cầu normalize={asked!r} "
                  "({asked_words})."),
    "gram_paper_factor": ("chuẩn hoá sai: hệ số 1/(4 N^2 M^2) của bài báo thuộc về mất mát phong cách, không thuộc "
                          "về ma trận Gram; bài tập này yêu cầu normalize={asked!r} ({asked_words})."),
    "style_norm": ("chuẩn hoá ma trận Gram sai: ma trận Gram của `features` mà bạn tính đang {yours}, nhưng đích dùng "
                   "normalize={asked!r} ({asked_words}): hãy so sánh cùng một kiểu."),
    "style_paper_factor": ("đó là 1/(4 N^2 M^2) * tổng bình phương của bài báo; bài tập này dùng trung bình thuần "
                           "của bình phương các hiệu giữa hai ma trận Gram."),
    "style_gram_twice": ("`target_gram` đã là một ma trận Gram: hãy so ma trận Gram của bạn trực tiếp với nó, đừng "
                         "tính ma trận Gram của nó thêm lần nữa."),
    "style_scrambled": ("ma trận Gram của bạn sai: reshape thẳng (1, H, W, C) thành (C, H*W) làm xáo trộn vị trí "
                        "và kênh. Hãy reshape thành (H*W, C), rồi tính B^T B."),
    "prep_none": ("bạn đưa thẳng ảnh RGB 0-255 thô vào VGG: hãy tiền xử lý trước (RGB -> BGR và trừ giá trị "
                  "trung bình của ImageNet, nst.model.preprocess)."),
    "prep_rgb_means": ("bạn đã trừ giá trị trung bình của ImageNet nhưng vẫn giữ thứ tự RGB: VGG được huấn luyện "
                       "trên ảnh BGR, nên hãy đảo cả trục kênh (nst.model.preprocess làm cả hai việc)."),
    "prep_no_flip": ("bạn đã trừ giá trị trung bình của ImageNet nhưng chưa đảo RGB thành BGR "
                     "(nst.model.preprocess làm cả hai việc)."),
    "prep_flip_only": "bạn đã đảo RGB thành BGR nhưng chưa trừ giá trị trung bình của ImageNet.",
    "prep_scaled": "bạn co ảnh về [0, 1]; VGG ở đây nhận giá trị 0-255, đã tiền xử lý.",
    "prep_scaled_then": "bạn chia cho 255 trước khi tiền xử lý; hãy giữ thang 0-255.",
    "prep_twice": ("bạn tiền xử lý hai lần: một lần là đủ (bộ trích xuất của bạn có tự tiền xử lý không, và bạn lại "
                   "tiền xử lý thêm trước khi gọi nó?)."),
    "layer_order": ("đầu ra {index} chứa {layer!r} nhưng ở vị trí đó cần {asked!r}: hãy trả về các ánh xạ đặc trưng "
                    "theo thứ tự của layer_names."),
    "layer_pool": "đầu ra {index} là tầng gộp {layer!r}; hãy lấy chính tầng tích chập {asked!r}.",
    "layer_wrong": ("sai tầng: đầu ra {index} lấy từ {layer!r} ({paper}), nhưng yêu cầu là {asked!r} "
                    "({asked_paper})."),
    # check_transfer_loop
    "loop_ok": ("✅ {title}: vòng lặp của bạn vẽ ra đúng những ảnh như bản chạy của thư viện, từ cả hai điểm xuất "
                "phát (sai khác lớn nhất {diff:.2g} mức xám: sai số làm tròn)."),
    "loop_differs": ("ảnh của bạn khác ảnh của thư viện tới {max:.3g} mức xám (trung bình {mean:.3g}). Ảnh của bạn "
                     "đã dịch trung bình {moved:.3g} mức xám so với điểm xuất phát, ảnh của thư viện {ref_moved:.3g}; "
                     "điểm ảnh của bạn nằm trong khoảng từ {low:.4g} đến {high:.4g}."),
    "loop_tuple": "vòng lặp của bạn trả về một {kind}; chỉ trả về ảnh thôi.",
    "loop_shape": "vòng lặp của bạn trả về shape {got}; hãy trả về ảnh, shape (1, {h}, {w}, 3) hoặc ({h}, {w}, 3).",
    "loop_nan": ("ảnh của bạn có NaN hoặc inf: có mất mát nào bằng 0 ở chỗ bạn chia cho nó không? Hãy cộng thêm "
                 "1e-10 (eps của bài gốc)."),
    "loop_returned_init": ("bạn trả về ảnh xuất phát mà không đổi gì: hãy cập nhật ảnh bên trong vòng lặp "
                           "(x = x - rate * grad, hoặc x.assign(...)) và trả về ảnh đã cập nhật."),
    "loop_sign": "bạn đi ngược lên theo gradient: hãy trừ rate * grad để mất mát nhỏ đi.",
    "loop_no_adaptive": ("bạn bỏ mất các trọng số 1/mất mát: hãy chia mỗi mất mát cho chính giá trị hiện tại của nó "
                         "(giữ cố định: tf.stop_gradient) trước khi nhân các trọng số 2, 9 và 0.4."),
    "loop_targets_from_image": ("bạn tính các đích từ chính ảnh đang vẽ: hãy lấy đặc trưng nội dung từ bức ảnh chụp "
                                "và các ma trận Gram từ bức tranh, một lần, trước vòng lặp."),
    "loop_no_preprocessing": ("bạn đưa thẳng điểm ảnh RGB 0-255 thô vào VGG: hãy tiền xử lý trước (RGB -> BGR và "
                              "trừ giá trị trung bình của ImageNet, nst.model.preprocess)."),
    "loop_no_flip": ("bạn đã trừ giá trị trung bình của ImageNet nhưng chưa đảo RGB thành BGR "
                     "(nst.model.preprocess làm cả hai việc)."),
    "loop_rgb_means": ("bạn trừ giá trị trung bình theo thứ tự RGB: VGG cần BGR trừ (103.939, 116.779, 123.68) "
                       "(nst.model.preprocess)."),
    "loop_gram_hw": ("ma trận Gram của bạn bị chia cho H*W (hoặc 2*H*W: ở đây như nhau, vì các trọng số 1/mất mát "
                     "triệt tiêu một hệ số chung); của bài gốc là tổng thuần B^T B."),
    "loop_gram_chw": "ma trận Gram của bạn bị chia cho C*H*W; của bài gốc là tổng thuần B^T B.",
    "loop_layer_block4_conv2": "sai tầng nội dung: bạn dùng conv4_2 (tầng của bài báo); bài gốc dùng conv3_1.",
    "loop_layer_block4_conv1": ("sai tầng nội dung: bạn dùng conv4_1; chỉ số tầng 4 của bài gốc đếm từ 0: "
                                "conv3_1."),
    "loop_layer_block2_conv2": ("sai tầng nội dung: bạn dùng conv2_2 (tầng tích chập thứ 4 khi đếm từ 1); chỉ số 4 "
                                "của bài gốc đếm từ 0: conv3_1."),
    "loop_layer_block3_conv2": "sai tầng nội dung: bạn dùng conv3_2; bài gốc dùng conv3_1.",
    "loop_layer_block5_conv1": "sai tầng nội dung: bạn dùng conv5_1; bài gốc dùng conv3_1.",
    "loop_paper_style_layers": ("bạn dùng 5 tầng phong cách của bài báo; bài gốc lấy ma trận Gram của cả 13 tầng "
                                "tích chập."),
    "loop_tv_squared": ("mất mát khử nhiễu của bạn bình phương các hiệu; của bài gốc lấy trị tuyệt đối của chúng "
                        "(trung bình L1)."),
    "loop_no_clip": "bạn quên cắt ảnh về [0, 255] sau mỗi bước.",
    "loop_max_step": "bạn chia bước cho max|grad|; công thức này chia cho std(grad).",
    "loop_adam_sign": ("bạn đi ngược lên theo gradient: hãy đưa cho Adam chính gradient (apply_gradients tự đi "
                       "xuống để cực tiểu hoá)."),
    "loop_new_optimizer": ("bạn tạo một bộ tối ưu Adam mới bên trong vòng lặp: nó quên các trung bình trượt của "
                           "mình sau mỗi bước. Hãy tạo nó một lần, trước vòng lặp."),
    "loop_adam_rate": "tốc độ học của Adam quá nhỏ: hãy dùng 5.0 (điểm ảnh ở thang 0-255, không phải 0-1).",
    "loop_seed_step": ("bạn dùng bước 10/std(grad) của bài gốc; bài tập này cập nhật bằng Adam "
                       "(apply_gradients)."),
    "loop_steps_off": "vòng lặp của bạn chạy thừa hoặc thiếu một bước: hãy cập nhật đúng `steps` lần.",
    "loop_generic": ("không lỗi quen thuộc nào giải thích được. Hãy kiểm tra lần lượt: các đích (một lần, trước "
                     "vòng lặp), ba mất mát, các trọng số 1/mất mát, gradient của tổng có trọng số, bước "
                     "10 / (std(grad) + 1e-8), việc cắt giá trị. Trước hết hãy thử từng mảnh bằng hàm kiểm tra "
                     "riêng của nó."),
    # các thử nghiệm chỉnh tham số
    "tweak_ok": "✅ {title}: đạt mục tiêu. {numbers}",
    "tweak_fail": "❌ {title}: chưa đạt mục tiêu. {numbers}",
    "tweak_bad_config": "thiết lập này không chạy được: {error}",
    "tweak_not_config": "hãy truyền một TransferConfig (ví dụ nst.TransferConfig.default(...)), không phải một {kind}.",
    "layers_numbers": ("Khoảng cách kết cấu mịn {texture:.3g} (với các tầng mặc định: {base_texture:.3g}); khoảng "
                       "cách hình khối lớn {shapes:.3g} (với các tầng mặc định: {base_shapes:.3g})."),
    "layers_no_texture": ("kết cấu mịn chưa tiến lại gần bức tranh: hãy thêm các tầng nông (conv1_1, conv2_1), "
                          "với vùng tiếp nhận nhỏ, chúng thấy màu sắc và những vệt nhỏ."),
    "layers_shapes": ("các hình khối lớn vẫn tiến lại gần bức tranh nhiều như với các tầng mặc định: hãy bỏ các "
                      "tầng sâu (conv3_1 và sâu hơn), với vùng tiếp nhận lớn, chúng thấy cả hình khối."),
    "nothing": "không gì cả",
    "weights_one": ("hãy đổi đúng một trong content_weight, style_weight, tv_weight và không đổi gì khác (bạn đã "
                    "đổi: {changed})."),
    "weights_numbers": ("Với {name} của bạn: khoảng cách nội dung {content:.3g} (mặc định: {base_content:.3g}), "
                        "khoảng cách phong cách {style:.3g} (mặc định: {base_style:.3g}, của chính bức ảnh chụp: "
                        "{photo_style:.3g})."),
    "weights_content": ("khoảng cách nội dung chưa giảm một nửa: hãy cho mất mát nội dung nhiều sức kéo hơn so với "
                        "mất mát phong cách (tăng content_weight, hoặc giảm style_weight), với hệ số lớn hơn."),
    "weights_not_stylised": ("khoảng cách nội dung đã giảm, nhưng kết quả gần như không còn phong cách nữa: hãy đổi "
                             "trọng số với hệ số nhỏ hơn."),
    "strokes_numbers": "Độ rộng nét cọ {width:.3g} px với style_scale={scale:g} (mặc định: {base:.3g} px).",
    "strokes_small": ("nét cọ chưa to lên: style_scale lớn hơn 1 cho VGG xem bức tranh to hơn, nên nét cọ của nó "
                      "phủ nhiều điểm ảnh hơn (thử 2 hoặc 3)."),
    "init_numbers": ("Bố cục được giữ lại (tương quan với độ sáng của bức ảnh chụp): {layout:.2f} với "
                     "init={init!r}."),
    "init_lost": ("sau chừng ấy bước, ảnh xuất phát vẫn lấn át: hãy xuất phát từ chính bức ảnh chụp "
                  "(init='content') để giữ bố cục của nó."),
}
